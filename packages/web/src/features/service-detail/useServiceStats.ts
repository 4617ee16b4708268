import { useQuery } from '@tanstack/react-query';
import { refKey, type ServiceRef } from '../../api/paths';
import { listStats } from '../services/service-api';

/** The service's stats samples over the last `since` (`10m`, `1h`), refreshed every 10 s. */
export function useServiceStats(serviceRef: ServiceRef, since: string) {
  return useQuery({
    queryKey: ['service', ...refKey(serviceRef), 'stats', since],
    queryFn: () => listStats(serviceRef, { since }),
    refetchInterval: 10_000,
  });
}
