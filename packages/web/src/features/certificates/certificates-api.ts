import type { Certificate, CertificateApply } from '@berth/shared';
import { api } from '../../api/client';

/** The certificate API paths the portal calls (checked against /api/openapi.json by the e2e test). */
export const certificateApiRoutes = {
  list: 'GET /api/v1/projects/{project}/certificates',
  create: 'POST /api/v1/projects/{project}/certificates',
  replace: 'PUT /api/v1/projects/{project}/certificates/{name}',
  delete: 'DELETE /api/v1/projects/{project}/certificates/{name}',
} as const;

const seg = encodeURIComponent;
const base = (project: string) => `/api/v1/projects/${seg(project)}/certificates`;

export const certificateKeys = {
  list: (project: string) => ['certificates', project] as const,
};

export interface PemInput {
  certificate: string;
  key: string;
}

export const listCertificates = (project: string) =>
  api<{ items: Certificate[] }>(base(project), { query: { limit: '500' } });
export const createCertificate = (project: string, body: PemInput & { name: string }) =>
  api<Certificate>(base(project), { method: 'POST', body });
export const renewCertificate = (project: string, name: string, body: PemInput & { version: number }) =>
  api<Certificate & { gateways: CertificateApply[] }>(`${base(project)}/${seg(name)}`, {
    method: 'PUT',
    body,
  });
export const deleteCertificate = (project: string, name: string) =>
  api<void>(`${base(project)}/${seg(name)}`, { method: 'DELETE' });
