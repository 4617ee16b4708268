import { z } from 'zod';
import type { AnyRouteDef } from './route';

function toSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  try {
    const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
    delete json.$schema;
    return json;
  } catch {
    return {};
  }
}

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } },
    },
  },
};

function parametersOf(def: AnyRouteDef): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [where, schema] of [
    ['path', def.params],
    ['query', def.query],
  ] as const) {
    if (!schema) continue;
    const json = toSchema(schema as z.ZodType, 'input');
    const props = (json.properties ?? {}) as Record<string, Record<string, unknown>>;
    const required = new Set((json.required as string[] | undefined) ?? []);
    for (const [name, prop] of Object.entries(props)) {
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: prop });
    }
  }
  return out;
}

/** The OpenAPI 3.1 document, generated from the same schemas that validate requests. */
export function buildOpenApi(routes: AnyRouteDef[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const def of routes) {
    const path = def.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const status = String(def.response?.status ?? 200);
    const permission =
      def.access === 'public'
        ? 'public'
        : def.access === 'authenticated'
          ? 'authenticated'
          : def.access.permission;
    const responses: Record<string, unknown> = {
      [status]: {
        description: def.response?.description ?? 'OK',
        ...(def.response?.schema
          ? {
              content: {
                [def.response.contentType ?? 'application/json']: {
                  schema: toSchema(def.response.schema, 'output'),
                },
              },
            }
          : {}),
      },
      default: { description: 'Error', content: { 'application/json': { schema: errorSchema } } },
    };
    (paths[path] ??= {})[def.method.toLowerCase()] = {
      operationId: def.id,
      summary: def.summary,
      tags: def.tags,
      'x-permission': permission,
      ...(def.access === 'public' ? { security: [] } : {}),
      parameters: parametersOf(def),
      ...(def.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: toSchema(def.body as z.ZodType, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Berth API', version, description: 'The Berth container cloud API.' },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        session: { type: 'apiKey', in: 'cookie', name: 'berth_session' },
      },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  };
}
