import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { toHttpError } from './errors';
import type { RouteRegistry } from './route';
import type { AppContext } from './context';
import { buildOpenApi } from './openapi';

export const apiVersion = '0.1.0';
const oneMiB = 1024 * 1024;

/** Creates the Fastify instance with Berth's body limit, error shape and 404s. */
export function createHttpApp(logLevel: string): FastifyInstance {
  const app = Fastify({
    logger: { level: logLevel },
    bodyLimit: oneMiB,
    trustProxy: false,
    logController: new LogController({ disableRequestLogging: logLevel !== 'debug' && logLevel !== 'trace' }),
    routerOptions: { ignoreTrailingSlash: true },
  });
  // Let the route layer validate bodies of every JSON-ish request, including empty ones.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: oneMiB },
    (_req, text, done) => {
      const body = typeof text === 'string' ? text : text.toString('utf8');
      if (body.trim() === '') {
        done(null, undefined);
        return;
      }
      try {
        done(null, JSON.parse(body));
      } catch (err) {
        const e = err as Error & { statusCode?: number; code?: string };
        e.statusCode = 400;
        e.code = 'FST_ERR_CTP_INVALID_JSON_BODY';
        done(e, undefined);
      }
    },
  );
  app.setErrorHandler((err, req, reply) => {
    const { status, body, known } = toHttpError(err);
    if (!known) req.log.error({ err }, 'unhandled error');
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({
      error: {
        code: 'NOT_FOUND',
        message: `No route ${req.method} ${req.url.split('?')[0]}. The API is described at /api/openapi.json.`,
      },
    });
  });
  return app;
}

/** Adds the OpenAPI document route once every module has registered its routes. */
export function addOpenApiRoute(registry: RouteRegistry): void {
  registry.add({
    id: 'meta.openapi',
    method: 'GET',
    url: '/api/openapi.json',
    summary: 'The OpenAPI 3.1 document of this API',
    tags: ['meta'],
    access: 'public',
    response: { status: 200, description: 'OpenAPI document' },
    handler: () => Promise.resolve(buildOpenApi(registry.routes, apiVersion)),
  });
}

export type { AppContext };
