/**
 * Image builds, pushes and removal through the libpod API (runtime-notes §5, §6). A failed build
 * answers 200 with an `{"error": ...}` line in its stream, so the stream is read and checked.
 */
import type { BuildImageOptions, RegistryAuth } from '@berth/engine-api';
import { EngineError } from '@berth/shared';
import { registryAuthHeader } from './images';
import { type LibpodClient, readNdjson } from './libpod-client';

/** Without `outputformat` libpod never hits the layer cache (runtime-notes §12). */
const ociFormat = 'application/vnd.oci.image.manifest.v1+json';

interface BuildLine {
  stream?: string;
  error?: string;
}

/** Streams the tar `context` to libpod's build endpoint; yields output lines, throws on failure. */
export async function* buildImage(
  client: LibpodClient,
  context: NodeJS.ReadableStream,
  opts: BuildImageOptions,
): AsyncGenerator<string> {
  const res = await client.open('POST', '/build', {
    query: {
      t: opts.tag,
      dockerfile: opts.dockerfile ?? 'Dockerfile',
      outputformat: ociFormat,
      layers: opts.layers ?? true,
      rm: true,
      forcerm: true,
      buildargs: opts.buildArgs ? JSON.stringify(opts.buildArgs) : undefined,
      labels: opts.labels ? JSON.stringify(opts.labels) : undefined,
      memory: opts.memoryMiB ? opts.memoryMiB * 1024 * 1024 : undefined,
    },
    rawBody: context,
    contentType: 'application/x-tar',
    signal: opts.signal,
    timeoutMs: 0,
  });
  let partial = '';
  for await (const line of readNdjson<BuildLine>(res)) {
    if (line.error) throw new EngineError(`Image build failed: ${line.error.trim()}`, { image: opts.tag });
    if (!line.stream) continue;
    const parts = (partial + line.stream).split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) yield part;
  }
  if (partial) yield partial;
}

/** Pushes `image` to `destination`; plain http when tlsVerify is false (loopback registries). */
export async function pushImage(
  client: LibpodClient,
  image: string,
  destination: string,
  tlsVerify: boolean,
  auth?: RegistryAuth,
): Promise<void> {
  const res = await client.request('POST', `/images/${encodeURIComponent(image)}/push`, {
    query: { destination, tlsVerify },
    headers: registryAuthHeader(auth),
    timeoutMs: 0,
  });
  const text = res.body.toString('utf8');
  for (const line of text.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    const parsed = JSON.parse(line) as { error?: string };
    if (parsed.error) throw new EngineError(`Podman could not push ${destination}: ${parsed.error}`);
  }
}

/** Waits for the container to stop; its exit code (null when podman gives none). */
export async function waitContainer(
  client: LibpodClient,
  idOrName: string,
  signal?: AbortSignal,
): Promise<number | null> {
  const res = await client.request('POST', `/containers/${encodeURIComponent(idOrName)}/wait`, {
    query: { condition: 'stopped' },
    signal,
    timeoutMs: 0,
  });
  const code = Number.parseInt(res.body.toString('utf8').trim(), 10);
  return Number.isFinite(code) ? code : null;
}
