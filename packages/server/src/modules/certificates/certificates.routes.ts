import { z } from 'zod';
import { createCertificateRequestSchema, nameSchema, replaceCertificateRequestSchema } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import { decodeCursor, pageOf, pageQuerySchema } from '../../http/pagination';
import { projectScope } from '../services/service-params';
import type { CertificatesService } from './certificates.service';

const base = '/api/v1/projects/:project/certificates';
const projectParams = z.object({ project: nameSchema }).strict();
const certParams = projectParams.extend({ name: nameSchema }).strict();
const deleteQuery = z.object({ version: z.coerce.number().int().min(1).optional() }).strict();

/** The per-project certificate store: reading needs services:read, writing services:write. */
export function registerCertificateRoutes(registry: RouteRegistry, svc: CertificatesService): void {
  const read = { permission: 'services:read' as const, scope: projectScope };
  const write = { permission: 'services:write' as const, scope: projectScope };

  registry.add({
    id: 'certificates.list',
    method: 'GET',
    url: base,
    summary: "List a project's certificates (names, expiry, DNS names, the routes that use them; never keys)",
    tags: ['certificates'],
    access: read,
    params: projectParams,
    query: pageQuerySchema,
    async handler({ params, query }) {
      const { rows, present } = await svc.list(params.project, decodeCursor(query.cursor), query.limit);
      const page = pageOf(rows, query.limit, (r) => r.name);
      return { items: page.items.map(present), nextCursor: page.nextCursor };
    },
  });

  registry.add({
    id: 'certificates.get',
    method: 'GET',
    url: `${base}/:name`,
    summary: 'Show a certificate (never its key)',
    tags: ['certificates'],
    access: read,
    params: certParams,
    handler: ({ params }) => svc.get(params.project, params.name),
  });

  registry.add({
    id: 'certificates.create',
    method: 'POST',
    url: base,
    summary: 'Upload a certificate: a PEM chain (leaf first) and its unencrypted PEM private key',
    tags: ['certificates'],
    access: write,
    params: projectParams,
    body: createCertificateRequestSchema,
    response: { status: 201, description: 'The stored certificate (without its key)' },
    target: { kind: 'certificate', name: (p, b) => `${p.project}/${b.name}` },
    async handler({ params, body, actor }) {
      return { status: 201, body: await svc.create(params.project, body, actor.name) };
    },
  });

  registry.add({
    id: 'certificates.replace',
    method: 'PUT',
    url: `${base}/:name`,
    summary: 'Renew a certificate: replace chain and key; gateways whose routes use it apply the new files',
    tags: ['certificates'],
    access: write,
    params: certParams,
    body: replaceCertificateRequestSchema,
    target: { kind: 'certificate' },
    handler: ({ params, body, actor }) => svc.replace(params.project, params.name, body, actor.name),
  });

  registry.add({
    id: 'certificates.delete',
    method: 'DELETE',
    url: `${base}/:name`,
    summary: 'Delete a certificate (refused while a route uses it)',
    tags: ['certificates'],
    access: write,
    params: certParams,
    query: deleteQuery,
    target: { kind: 'certificate' },
    async handler({ params, query }) {
      await svc.remove(params.project, params.name, query.version);
      return { status: 204 };
    },
  });
}
