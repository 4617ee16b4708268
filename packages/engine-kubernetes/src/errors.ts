/**
 * Kubernetes `Status` answers → Berth's errors, in one place. Messages say what Berth was doing
 * (the RBAC verb and resource, so a 403 tells the operator which rule to grant), what the cluster
 * said, and how to fix it. Nothing from the request's headers or the kubeconfig ever goes in.
 */
import { ConflictError, EngineError, NotFoundError, UnavailableError, type BerthError } from '@berth/shared';

/** What Berth was doing when it asked: `verb` as RBAC names it (get, list, watch, create, patch, delete). */
export interface RequestContext {
  verb: string;
  /** The RBAC resource, with its group when not core: `deployments.apps`, `pods/exec`. */
  resource: string;
  namespace?: string;
  name?: string;
}

/** The parts of a meta/v1 Status the engine reads. */
export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    kind?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
    retryAfterSeconds?: number;
  };
}

function where(ctx: RequestContext): string {
  const obj = ctx.name ? `${ctx.resource} ${ctx.name}` : ctx.resource;
  return ctx.namespace ? `${obj} in namespace ${ctx.namespace}` : obj;
}

/** Maps an error answer to the error Berth throws; `status` is the HTTP status. */
export function kubeError(
  status: number,
  body: KubeStatus | undefined,
  ctx: RequestContext,
  cluster: string,
): BerthError {
  const said = body?.message ? ` The cluster said: ${body.message}` : '';
  const details: Record<string, unknown> = { cluster, status, reason: body?.reason ?? null };
  switch (status) {
    case 401:
      return new EngineError(
        `Kubernetes cluster ${cluster} rejected Berth's credentials (401 Unauthorized) when Berth tried to ${ctx.verb} ${where(ctx)}: the kubeconfig's token or client certificate is wrong or expired. Register the cluster again with a working kubeconfig.`,
        details,
      );
    case 403:
      return new EngineError(
        `Kubernetes cluster ${cluster} does not allow Berth to ${ctx.verb} ${where(ctx)} (403 Forbidden). Grant the verb "${ctx.verb}" on "${ctx.resource}" to Berth's service account (the RBAC rules in docs/kubernetes.md).${said}`,
        { ...details, verb: ctx.verb, resource: ctx.resource },
      );
    case 404:
      return new NotFoundError(
        'NOT_FOUND',
        `Kubernetes cluster ${cluster} has no ${where(ctx)} (404, Berth tried to ${ctx.verb} it).${said}`,
        details,
      );
    case 409:
      return new ConflictError(
        `Kubernetes cluster ${cluster} refused to ${ctx.verb} ${where(ctx)}: ${body?.reason ?? 'Conflict'} (409).${said}`,
        { ...details, causes: body?.details?.causes ?? [] },
      );
    case 410:
      return new EngineError(
        `Kubernetes cluster ${cluster} no longer has the history Berth asked for (${ctx.verb} ${where(ctx)}, 410 Gone): list again.${said}`,
        details,
      );
    case 422: {
      const fields = (body?.details?.causes ?? []).map((c) => ({
        path: c.field ?? '',
        message: c.message ?? c.reason ?? 'invalid',
      }));
      const list = fields.map((f) => `${f.path}: ${f.message}`).join('; ');
      return new EngineError(
        `Kubernetes cluster ${cluster} found ${where(ctx)} invalid (422)${list ? `: ${list}` : ''}.${
          list ? '' : said
        }`,
        { ...details, fields },
      );
    }
    case 429:
    case 503:
    case 504:
      return new UnavailableError(
        `Kubernetes cluster ${cluster} is too busy or not ready to ${ctx.verb} ${where(ctx)} (${status}); Berth tries again.${said}`,
        { ...details, retryAfterSeconds: body?.details?.retryAfterSeconds ?? null },
      );
    default:
      return new EngineError(
        `Kubernetes cluster ${cluster} failed to ${ctx.verb} ${where(ctx)} (${status}${body?.reason ? ` ${body.reason}` : ''}).${said}`,
        details,
      );
  }
}

/** The HTTP status a mapped error came from (errors of other origins: undefined). */
export function statusOf(err: unknown): number | undefined {
  const details = (err as { details?: Record<string, unknown> } | null)?.details;
  return typeof details?.status === 'number' ? details.status : undefined;
}
