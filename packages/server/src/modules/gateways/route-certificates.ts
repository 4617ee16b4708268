import {
  BerthError,
  ForbiddenError,
  hostCovered,
  isLegacyTls,
  type FieldError,
  type GatewayAgentCertificate,
  type RouteSpec,
} from '@berth/shared';
import type { RouteRow } from './gateways.repository';
import { routeSpecOf } from './route-specs';

/** A route's reference to a certificate of its project's store. */
export interface CertificateRef {
  project: string;
  name: string;
}

/** What the gateway knows of a stored certificate: the id in its files' names and its DNS names. */
export interface CertificateFacts {
  fileId: string;
  sans: string[];
}

/** A per-project certificate file a rendered configuration names. */
export interface CertificateFileRef extends CertificateRef {
  id: string;
}

/**
 * What the gateways module needs from the per-project certificate store (the certificates module
 * implements it). Files live at `<dir>/<project>/<name>.<id>.crt|.key`, keys with mode 0600.
 */
export interface CertificateStore {
  /** The facts of the referenced certificates that exist, keyed `project/name`. */
  lookup(refs: CertificateRef[]): Promise<Map<string, CertificateFacts>>;
  /** Writes the files of the referenced certificates into dir (before `nginx -t`). */
  materialize(dir: string, refs: CertificateRef[]): Promise<void>;
  /** The chains and keys of the files a configuration names, for an agent node. */
  bundle(dir: string, files: CertificateFileRef[]): Promise<GatewayAgentCertificate[]>;
  /** Whether the user is a platform admin (who alone may set the legacy file form). */
  isPlatformAdmin(user: string): Promise<boolean>;
}

export const certKey = (r: CertificateRef) => `${r.project}/${r.name}`;

/** The certificates of the store that routes name (the legacy file form is not one). */
export function certificateRefs(routes: RouteRow[]): CertificateRef[] {
  const out = new Map<string, CertificateRef>();
  for (const r of routes) {
    const tls = routeSpecOf(r.spec).tls;
    if (tls && !isLegacyTls(tls))
      out.set(`${r.project}/${tls.certificate}`, { project: r.project, name: tls.certificate });
  }
  return [...out.values()];
}

const certFileRe = /^\s*ssl_certificate "([^"]+)\/([a-z0-9-]+)\/([a-z0-9-]+)\.([0-9a-f]{16})\.crt";$/gm;

/** The per-project certificate files a rendered main file names under dir. */
export function certificateFilesOf(main: string, dir: string): CertificateFileRef[] {
  const out = new Map<string, CertificateFileRef>();
  for (const m of main.matchAll(certFileRe)) {
    if (m[1] !== dir) continue;
    out.set(`${m[2]}/${m[3]}/${m[4]}`, { project: m[2]!, name: m[3]!, id: m[4]! });
  }
  return [...out.values()];
}

/**
 * The TLS rules of a route write. By name: the certificate must exist in the route's own project
 * (422 on spec.tls.certificate otherwise, so a name of another project's certificate reveals
 * nothing). The legacy file form: platform admins only, unless the route keeps the files it had.
 */
export async function checkRouteTls(
  store: CertificateStore | null,
  project: string,
  spec: RouteSpec,
  previous: RouteSpec | null,
  author: string,
): Promise<void> {
  const tls = spec.tls;
  if (!tls) return;
  if (isLegacyTls(tls)) {
    const prev = previous?.tls;
    const unchanged =
      prev && isLegacyTls(prev) && prev.certificate === tls.certificate && prev.key === tls.key;
    if (unchanged || !store || (await store.isPlatformAdmin(author))) return;
    const message =
      'TLS files of the shared certificate directory ({certificate, key}) can be set by platform admins only; upload the certificate to the project (`berth certificates add NAME --cert FILE --key FILE`) and set tls: {certificate: NAME}.';
    throw new ForbiddenError(message, { fields: [{ path: 'spec.tls', message }] });
  }
  const found = store ? await store.lookup([{ project, name: tls.certificate }]) : new Map();
  if (found.has(certKey({ project, name: tls.certificate }))) return;
  const message = `certificate '${tls.certificate}' does not exist in project '${project}': a route can use only its own project's certificates (list them with \`berth certificates list -p ${project}\`)`;
  throw new BerthError('UNPROCESSABLE', `Route refused: ${message}.`, {
    fields: [{ path: 'spec.tls.certificate', message }],
  });
}

/** Warnings about a route's TLS that do not refuse it: a host its certificate does not cover. */
export async function tlsWarnings(
  store: CertificateStore | null,
  project: string,
  spec: RouteSpec,
): Promise<FieldError[]> {
  const tls = spec.tls;
  if (!store || !tls || isLegacyTls(tls)) return [];
  const facts = (await store.lookup([{ project, name: tls.certificate }])).get(
    `${project}/${tls.certificate}`,
  );
  if (!facts || hostCovered(spec.host, facts.sans)) return [];
  return [
    {
      path: 'spec.tls.certificate',
      message: `certificate '${tls.certificate}' covers ${facts.sans.join(', ') || 'no DNS name'}, not ${spec.host}: clients will reject it for this host`,
    },
  ];
}

/** A route that uses a certificate, for the certificate's `usedBy`. */
export interface CertificateRouteUse {
  env: string;
  route: string;
  host: string;
  certificate: string;
}
