import type { AllowedNetwork, DomainZone, Owner } from '@berth/shared';
import { api } from '../../api/client';

/** The tenancy API paths the portal calls (checked against /api/openapi.json by the e2e test). */
export const tenancyApiRoutes = {
  domains: 'GET /api/v1/domains',
  createDomain: 'POST /api/v1/domains',
  deleteDomain: 'DELETE /api/v1/domains/{zone}',
  networks: 'GET /api/v1/networks',
  createNetwork: 'POST /api/v1/networks',
  deleteNetwork: 'DELETE /api/v1/networks/{address}/{bits}',
} as const;

const seg = encodeURIComponent;

export const tenancyKeys = {
  domains: ['tenancy', 'domains'] as const,
  networks: ['tenancy', 'networks'] as const,
};

export const listDomains = () => api<{ items: DomainZone[] }>('/api/v1/domains');
export const createDomain = (body: { zone: string; owner: Owner }) =>
  api<DomainZone>('/api/v1/domains', { method: 'POST', body });
export const deleteDomain = (zone: string) => api<void>(`/api/v1/domains/${seg(zone)}`, { method: 'DELETE' });

export const listNetworks = () => api<{ items: AllowedNetwork[] }>('/api/v1/networks');
export const createNetwork = (body: { cidr: string; owner: Owner }) =>
  api<AllowedNetwork>('/api/v1/networks', { method: 'POST', body });
/** Removes one owner's grant of a network (10.20.0.0/16 → /networks/10.20.0.0/16?team=…). */
export const deleteNetwork = (n: AllowedNetwork) => {
  const [address = '', bits = '32'] = n.cidr.split('/');
  return api<void>(`/api/v1/networks/${seg(address)}/${seg(bits)}`, {
    method: 'DELETE',
    query: { [n.owner.kind]: n.owner.name },
  });
};
