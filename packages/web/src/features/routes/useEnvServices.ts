import { useQuery } from '@tanstack/react-query';
import { listServices } from '../../api/resources';

/** The services of an env that a route or a canary can point at (the first 500, by name). */
export function useEnvServices(project: string, env: string) {
  return useQuery({
    queryKey: ['services', project, env, 'route-form'],
    queryFn: () => listServices(project, env, { limit: 500 }),
    staleTime: 30_000,
  });
}
