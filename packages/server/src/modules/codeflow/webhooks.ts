/**
 * Webhook verification and payload reading for GitLab, GitHub and Gitea (pure functions).
 * Secrets are compared in constant time; GitHub and Gitea sign the raw body with HMAC-SHA256.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookProvider } from '@berth/shared';

type Headers = Record<string, string | string[] | undefined>;

function header(h: Headers, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Constant-time equality that does not leak the length (both sides hashed first). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function hmacHex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Whether the request carries the pipeline's secret in the provider's way. */
export function verifyWebhook(
  provider: WebhookProvider,
  secret: string,
  headers: Headers,
  body: Buffer,
): boolean {
  switch (provider) {
    case 'gitlab': {
      const token = header(headers, 'x-gitlab-token');
      return token !== undefined && safeEqual(token, secret);
    }
    case 'github': {
      const sig = header(headers, 'x-hub-signature-256');
      return sig !== undefined && safeEqual(sig.toLowerCase(), `sha256=${hmacHex(secret, body)}`);
    }
    case 'gitea': {
      const sig = header(headers, 'x-gitea-signature');
      return sig !== undefined && safeEqual(sig.toLowerCase(), hmacHex(secret, body));
    }
  }
}

/** The delivery id for replay protection; a hash of the body when the provider sent none. */
export function deliveryId(provider: WebhookProvider, headers: Headers, body: Buffer): string {
  const name = { gitlab: 'x-gitlab-event-uuid', github: 'x-github-delivery', gitea: 'x-gitea-delivery' }[
    provider
  ];
  const id = header(headers, name);
  if (id && id.length <= 200) return id;
  return `body:${createHash('sha256').update(body).digest('hex')}`;
}

/** A push as Berth reads it from any provider. */
export interface PushEvent {
  kind: 'branch' | 'tag';
  /** Branch or tag name without refs/heads/ or refs/tags/. */
  name: string;
  /** The new head commit. */
  sha: string;
  pusher: string;
}

/**
 * The push in this delivery, or a reason to ignore it (another event, a deleted branch,
 * a payload without a ref).
 */
export function readPush(
  provider: WebhookProvider,
  headers: Headers,
  payload: unknown,
): { push: PushEvent } | { ignore: string } {
  const event =
    provider === 'gitlab'
      ? header(headers, 'x-gitlab-event')
      : provider === 'github'
        ? header(headers, 'x-github-event')
        : header(headers, 'x-gitea-event');
  const isPush =
    provider === 'gitlab' ? event === 'Push Hook' || event === 'Tag Push Hook' : event === 'push';
  if (!isPush) return { ignore: `event '${event ?? 'none'}' is not a push` };
  if (!payload || typeof payload !== 'object') return { ignore: 'the payload is not a JSON object' };
  const p = payload as Record<string, unknown>;
  const ref = typeof p.ref === 'string' ? p.ref : '';
  const sha =
    typeof p.checkout_sha === 'string' && p.checkout_sha
      ? p.checkout_sha
      : typeof p.after === 'string'
        ? p.after
        : '';
  if (!/^[0-9a-f]{40,64}$/.test(sha) || /^0+$/.test(sha)) return { ignore: 'the push deleted the ref' };
  let kind: PushEvent['kind'];
  let name: string;
  if (ref.startsWith('refs/heads/')) [kind, name] = ['branch', ref.slice('refs/heads/'.length)];
  else if (ref.startsWith('refs/tags/')) [kind, name] = ['tag', ref.slice('refs/tags/'.length)];
  else return { ignore: `ref '${ref.slice(0, 200)}' is not a branch or tag` };
  const pusher =
    str(p.user_username) ??
    str(p.user_name) ??
    str((p.pusher as Record<string, unknown> | undefined)?.name) ??
    str((p.pusher as Record<string, unknown> | undefined)?.login) ??
    'unknown';
  return { push: { kind, name, sha, pusher } };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v.slice(0, 200) : undefined;
}
