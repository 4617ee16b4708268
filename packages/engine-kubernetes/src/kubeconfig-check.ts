/**
 * The deep check of a kubeconfig a platform admin registers a cluster with (shared only checks
 * its size). A kubeconfig is more than an address and a key: a user's `exec` runs a command, and
 * `auth-provider`, `token-file`, `client-certificate`, `client-key` and a cluster's
 * `certificate-authority` read files — on Berth's host, with Berth's rights (its data dir holds
 * the key that seals every secret). client-node acts on some of them while merely loading
 * (`token-file` is read by `loadFromString`), so they are refused in the YAML before it loads:
 * a registered kubeconfig carries everything inline (`*-data`, `token`).
 */
import { InvalidError, kubernetesEndpointProblem } from '@berth/shared';
import { parse } from 'yaml';
import { kubeLibrary } from './kube-library';

/** What Berth will use of a kubeconfig: its current context's cluster and user. */
export interface KubeconfigSummary {
  /** The API server URL of the current context's cluster (no trailing slash). */
  server: string;
  context: string;
  cluster: string;
  user: string;
  auth: 'token' | 'client-certificate' | 'basic';
  /** Accepted but probably wrong (TLS verification off). */
  warnings: string[];
}

type Mapping = Record<string, unknown>;

const isMapping = (v: unknown): v is Mapping => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys that make client-node run a command or read a file of Berth's host. */
const userRefused: Record<string, string> = {
  exec: 'runs a command on Berth\'s host to get a token: use a service account token ("token") instead',
  'auth-provider': 'runs a provider plugin on Berth\'s host: use a service account token ("token") instead',
  'token-file': 'reads a file on Berth\'s host: paste the token itself as "token"',
  'client-certificate': 'reads a file on Berth\'s host: inline it as "client-certificate-data" (base64)',
  'client-key': 'reads a file on Berth\'s host: inline it as "client-key-data" (base64)',
};
const clusterRefused: Record<string, string> = {
  'certificate-authority':
    'reads a file on Berth\'s host: inline it as "certificate-authority-data" (base64)',
};

/** `[{name, <key>: {...}}]` entries of a kubeconfig list, by name. */
function named(doc: Mapping, list: string, key: string, fail: (m: string) => never): Map<string, Mapping> {
  const raw = doc[list];
  if (raw === undefined || raw === null) return new Map();
  if (!Array.isArray(raw)) fail(`"${list}" must be a list`);
  const out = new Map<string, Mapping>();
  raw.forEach((e: unknown, i: number) => {
    if (!isMapping(e) || typeof e.name !== 'string' || e.name === '')
      fail(`${list}[${i}] must have a "name"`);
    const body = e[key];
    out.set(e.name, isMapping(body) ? body : {});
  });
  return out;
}

/**
 * Checks a kubeconfig and says what Berth will use of it. Throws InvalidError at `field` naming
 * what is wrong and how to fix it: not YAML, no current context, a context naming a missing
 * cluster or user, a user without a token or client certificate, a server URL that is not https
 * (http only on loopback, e.g. `kubectl proxy`), or anything that would run a command or read a
 * file on Berth's host.
 */
export async function checkKubeconfig(
  text: string,
  field = 'credentials.kubeconfig',
): Promise<KubeconfigSummary> {
  const fail = (message: string): never => {
    throw new InvalidError(`The kubeconfig ${message}.`, [{ path: field, message }]);
  };
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 10 });
  } catch (err) {
    fail(`is not YAML: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
  }
  if (!isMapping(doc))
    return fail('must be a YAML mapping with clusters, users, contexts and current-context');
  if (doc.kind !== undefined && doc.kind !== 'Config')
    fail(`has kind ${JSON.stringify(doc.kind)}: expected "Config"`);
  const clusters = named(doc, 'clusters', 'cluster', fail);
  const users = named(doc, 'users', 'user', fail);
  const contexts = named(doc, 'contexts', 'context', fail);
  // every entry counts, not only the current one: client-node reads token files of all users
  for (const [name, user] of users)
    for (const [key, why] of Object.entries(userRefused))
      if (user[key] !== undefined && user[key] !== null && user[key] !== '')
        fail(`user "${name}" has "${key}", which ${why}`);
  for (const [name, cluster] of clusters)
    for (const [key, why] of Object.entries(clusterRefused))
      if (cluster[key] !== undefined && cluster[key] !== null && cluster[key] !== '')
        fail(`cluster "${name}" has "${key}", which ${why}`);
  const current = doc['current-context'];
  if (typeof current !== 'string' || current === '')
    fail(
      'has no "current-context": set it to the context Berth should use (kubectl config use-context NAME)',
    );
  const context = contexts.get(current as string);
  if (!context) return fail(`names current-context "${String(current)}", which is not in its contexts`);
  const clusterName = context.cluster;
  const userName = context.user;
  if (typeof clusterName !== 'string' || !clusters.has(clusterName))
    fail(`context "${String(current)}" names cluster "${String(clusterName)}", which is not in its clusters`);
  if (typeof userName !== 'string' || !users.has(userName))
    fail(`context "${String(current)}" names user "${String(userName)}", which is not in its users`);
  const cluster = clusters.get(clusterName as string) as Mapping;
  const user = users.get(userName as string) as Mapping;
  const server = typeof cluster.server === 'string' ? cluster.server.replace(/\/$/, '') : '';
  if (!server) fail(`cluster "${String(clusterName)}" has no "server" (the API server URL)`);
  const serverProblem = server === 'in-cluster' ? 'must be a URL' : kubernetesEndpointProblem(server);
  if (serverProblem) fail(`cluster "${String(clusterName)}" server ${server} ${serverProblem}`);
  let auth: KubeconfigSummary['auth'];
  if (typeof user.token === 'string' && user.token !== '') auth = 'token';
  else if (typeof user['client-certificate-data'] === 'string' && typeof user['client-key-data'] === 'string')
    auth = 'client-certificate';
  else if (typeof user.username === 'string' && typeof user.password === 'string') auth = 'basic';
  else
    return fail(
      `user "${String(userName)}" has no credentials Berth can use: give a "token" (a service account's, see docs/kubernetes-install.md) or "client-certificate-data" with "client-key-data"`,
    );
  // what client-node itself makes of it: the same library the engine connects with
  try {
    new (await kubeLibrary()).KubeConfig().loadFromString(text, { onInvalidEntry: 'throw' });
  } catch (err) {
    fail(`is refused by the Kubernetes client: ${err instanceof Error ? err.message : String(err)}`);
  }
  const warnings: string[] = [];
  // (client-node wants it for plain http, which is only accepted on loopback: nobody in between)
  if (cluster['insecure-skip-tls-verify'] === true && server.startsWith('https:'))
    warnings.push(
      `The kubeconfig's cluster "${String(clusterName)}" turns TLS verification off (insecure-skip-tls-verify): anyone between Berth and ${server} can read its token. Give "certificate-authority-data" instead.`,
    );
  return {
    server,
    context: current as string,
    cluster: clusterName as string,
    user: userName as string,
    auth,
    warnings,
  };
}
