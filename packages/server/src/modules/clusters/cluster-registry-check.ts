import type { LibpodClient } from '@berth/engine-podman';

/** What one registry check found: reachable (`ok`) or not, and in words. */
export interface RegistryReach {
  ok: boolean;
  message: string;
}

/** A registry on a loopback address is reached over plain HTTP (as pulls do: engine-podman's images.ts). */
export function isLoopbackHost(hostPort: string): boolean {
  const host = hostPort.startsWith('[')
    ? hostPort.slice(1, hostPort.indexOf(']'))
    : hostPort.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The repository named in the search; it need not exist (the search is over the catalog). */
const probeRepository = 'berth-registry-check';

/** libpod's error body with a non-2xx status. */
interface LibpodError {
  cause?: string;
  message?: string;
}

/** "1 error occurred:\n\t* couldn't search registry …" → "couldn't search registry …". */
function podmanReason(body: Buffer): string {
  let text = body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as LibpodError;
    text = parsed.message ?? parsed.cause ?? text;
  } catch {
    // not JSON: the text as it is
  }
  const reason = text
    .replace(/^\s*\d+ errors? occurred:\s*/, '')
    .replace(/^\*\s*/, '')
    .replace(/\s+/g, ' ')
    .trim();
  return /[.!?]$/.test(reason) ? reason : `${reason}.`;
}

/** The registry or its token server refused an anonymous caller: it answered. */
const refusedAnonymous = /unauthorized|authentication required|denied|invalid username\/password/i;
/** The connection itself failed (libpod's Go errors). */
const connectionFailed =
  /dial tcp|no such host|connection refused|i\/o timeout|network is unreachable|no route to host|server gave HTTP response to HTTPS client|certificate|tls:/i;

/**
 * Asks a cluster's Podman to contact a registry at `registry` (host[:port]) without pulling
 * anything: libpod's `GET /libpod/images/search?term=<registry>/…&limit=1` makes Podman ping the
 * registry's `/v2/` and read its catalog, from the cluster's host, with the host's DNS, routes and
 * `registries.conf`. TLS is skipped only for a loopback registry, as pulls do. How Podman 4.3.1
 * answers (docs/runtime-notes.md): 200 when the registry lets anyone search; 500 with
 * "unable to retrieve auth token: invalid username/password … unauthorized" when Berth's token
 * server refused the anonymous caller — the registry and its token server answered, so it is
 * reachable; 500 with "pinging container registry H: … connection refused / no such host" when
 * the registry is not reached; 500 with `Get "<realm>": dial tcp …` when the registry answered
 * but its token server (Berth) is not reached from there.
 */
export async function checkRegistryReach(
  client: LibpodClient,
  registry: string,
  timeoutMs: number,
): Promise<RegistryReach> {
  let res: { status: number; body: Buffer };
  try {
    res = await client.request('GET', '/images/search', {
      query: {
        term: `${registry}/${probeRepository}`,
        limit: 1,
        tlsVerify: isLoopbackHost(registry) ? false : undefined,
      },
      accept: [400, 401, 403, 404, 409, 500, 502, 503],
      timeoutMs,
    });
  } catch (err) {
    return {
      ok: false,
      message: `Podman gave no answer to a search of ${registry} within ${Math.round(timeoutMs / 1000)} s (${err instanceof Error ? err.message : String(err)}); is a firewall dropping connections to it?`,
    };
  }
  if (res.status >= 200 && res.status < 300)
    return { ok: true, message: `Podman on the cluster reached the registry at ${registry}.` };
  const reason = podmanReason(res.body);
  if (refusedAnonymous.test(reason) && !connectionFailed.test(reason))
    return {
      ok: true,
      message: `Podman on the cluster reached the registry at ${registry} (it asked for credentials, as Berth's registry does).`,
    };
  if (/pinging container registry/i.test(reason))
    return {
      ok: false,
      message: `Podman on the cluster cannot reach the registry at ${registry}: ${reason}`,
    };
  const realm = /Get "([^"]+)"/.exec(reason)?.[1];
  if (realm && connectionFailed.test(reason) && !realm.includes('/v2/'))
    return {
      ok: false,
      message: `Podman on the cluster reached the registry at ${registry} but not its token server ${realm.replace(/\?.*$/, '')} (Berth's API), which pulls need as well: ${reason}`,
    };
  return { ok: false, message: `Podman on the cluster could not use the registry at ${registry}: ${reason}` };
}

/** Whether the embedded registry answers Berth itself at its listen address (any HTTP status). */
export async function registryAnswers(listen: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(`http://${listen}/v2/`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}
