/**
 * Webhook receivers (no session: the pipeline's secret authenticates). The raw body is kept for
 * the HMAC check by a preParsing hook scoped to these paths. Every delivery is audited with
 * actor "webhook"; a wrong secret is 401.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { refNameSchema, webhookProviders, type WebhookProvider, type WebhookResult } from '@berth/shared';
import { handled, type RouteRegistry } from '../../http/route';
import type { CodeflowDeps } from './codeflow-deps';
import { refMatches } from './git-mirror';
import { deliveryId, readPush, verifyWebhook } from './webhooks';

const hookPrefix = '/api/v1/hooks/';
const rawBodies = new WeakMap<FastifyRequest, Buffer>();

/** Keeps the exact bytes of webhook bodies (signatures are over the raw body, not re-serialized JSON). */
export function keepRawHookBodies(app: FastifyInstance): void {
  app.addHook('preParsing', async (req, _reply, payload) => {
    if (!req.url.startsWith(hookPrefix)) return payload;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      size += b.length;
      if (size > 1024 * 1024) break;
      chunks.push(b);
    }
    const raw = Buffer.concat(chunks);
    rawBodies.set(req, raw);
    const replay = Readable.from([raw]) as Readable & { receivedEncodedLength?: number };
    replay.receivedEncodedLength = raw.length;
    return replay;
  });
}

const hookParams = z
  .object({
    pipelineId: z.string().regex(/^[a-z0-9]{1,64}$/, 'must be a pipeline id'),
    provider: z.enum(webhookProviders),
  })
  .strict();

export function registerWebhookRoutes(registry: RouteRegistry, deps: CodeflowDeps): void {
  const { ctx, repo, service } = deps;

  registry.add({
    id: 'pipelines.webhook',
    method: 'POST',
    url: '/api/v1/hooks/pipelines/:pipelineId/:provider',
    summary:
      'Receive a push webhook (GitLab X-Gitlab-Token, GitHub X-Hub-Signature-256, Gitea X-Gitea-Signature)',
    tags: ['pipelines'],
    access: 'public',
    params: hookParams,
    response: { status: 202, description: 'WebhookResult' },
    async handler({ params, req, reply }) {
      const provider: WebhookProvider = params.provider;
      const raw = rawBodies.get(req) ?? Buffer.alloc(0);
      const pipeline = await repo.pipelineById(params.pipelineId);
      const secret = pipeline ? service.webhookSecret(pipeline) : null;
      const answer = async (
        status: number,
        result: WebhookResult | { error: { code: string; message: string } },
      ): Promise<typeof handled> => {
        const ok = status < 400;
        await ctx.audit.record({
          actor: 'webhook',
          action: 'pipelines.webhook',
          targetKind: 'pipeline',
          target: pipeline ? `${pipeline.project}/${pipeline.name}` : params.pipelineId,
          project: pipeline?.project ?? null,
          request: { provider, delivery: deliveryId(provider, req.headers, raw) },
          result: ok ? 'success' : status === 401 ? 'denied' : 'failure',
          statusCode: status,
          sourceIp: req.ip,
          message: 'message' in result ? result.message : result.error.message,
        });
        await reply.code(status).send(result);
        return handled;
      };
      // Unknown pipeline, no secret yet, or a wrong one: the same 401, so ids cannot be probed.
      if (!pipeline || !secret || !verifyWebhook(provider, secret, req.headers, raw))
        return answer(401, {
          error: {
            code: 'UNAUTHENTICATED',
            message: `The webhook secret or signature is wrong; copy the pipeline's secret (POST …/webhook-secret) into the ${provider} webhook settings.`,
          },
        });
      if (!(await repo.recordDelivery(pipeline.id, deliveryId(provider, req.headers, raw))))
        return answer(200, { outcome: 'duplicate', message: 'this delivery was received before; ignored' });
      const read = readPush(provider, req.headers, req.body);
      if ('ignore' in read) return answer(202, { outcome: 'ignored', message: read.ignore });
      const { push } = read;
      if (!refNameSchema.safeParse(push.name).success)
        return answer(202, {
          outcome: 'ignored',
          message: 'the pushed ref is not a valid branch or tag name',
        });
      if (!refMatches(pipeline.repo_ref, push.name))
        return answer(202, {
          outcome: 'ignored',
          message: `${push.kind} '${push.name}' does not match the pipeline's ref '${pipeline.repo_ref}'`,
        });
      const { build, task } = await service.startBuild(pipeline, {
        ref: push.name,
        sha: push.sha,
        trigger: 'webhook',
        source: provider,
        by: push.pusher,
      });
      return answer(202, {
        outcome: 'build',
        message: `build #${build.number} of ${pipeline.name} queued for ${push.kind} ${push.name} (${push.sha.slice(0, 12)})`,
        build: { id: build.id, number: build.number, taskId: task.id },
      });
    },
  });
}
