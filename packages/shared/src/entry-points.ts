import { z } from 'zod';
import { nameSchema } from './names';

/*
 * TCP and UDP entry points (docs/gateway.md, "TCP and UDP entry points; virtual IP"): a platform
 * admin assigns ports of an environment to a project; the project maps an assigned port to a
 * port of one of its services. The gateway-nginx stream renderer re-checks every value.
 */

export const entryPointProtocolSchema = z.enum(['tcp', 'udp']);
export type EntryPointProtocol = z.infer<typeof entryPointProtocolSchema>;

/** Ports below this need `allowPrivileged: true` on assignment (22, 25, 53, … are the host's). */
export const firstUnprivilegedPort = 1024;
/** At most this many ports per assignment call. */
export const maxPortsPerAssignment = 1000;

const port = z.number().int('must be a whole number').min(1, 'must be 1-65535').max(65535, 'must be 1-65535');
export const entryPortSchema = port;

/** POST /api/v1/admin/envs/:env/entry-ports — one port (`port`) or a range (`from`..`to`). */
export const assignPortsSchema = z
  .object({
    project: nameSchema,
    protocol: entryPointProtocolSchema,
    port: port.optional(),
    from: port.optional(),
    to: port.optional(),
    allowPrivileged: z.boolean().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const single = v.port !== undefined;
    const range = v.from !== undefined || v.to !== undefined;
    if (single === range) {
      ctx.addIssue({ code: 'custom', path: ['port'], message: 'give either port or from and to' });
      return;
    }
    if (range) {
      if (v.from === undefined)
        ctx.addIssue({ code: 'custom', path: ['from'], message: 'is required with to' });
      if (v.to === undefined)
        ctx.addIssue({ code: 'custom', path: ['to'], message: 'is required with from' });
      if (v.from !== undefined && v.to !== undefined) {
        if (v.to < v.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be below from' });
        else if (v.to - v.from + 1 > maxPortsPerAssignment)
          ctx.addIssue({
            code: 'custom',
            path: ['to'],
            message: `a range holds at most ${maxPortsPerAssignment} ports`,
          });
      }
    }
  });
export type AssignPortsInput = z.infer<typeof assignPortsSchema>;

/** The ports an assignment input names, in order. */
export function assignmentPorts(input: AssignPortsInput): number[] {
  if (input.port !== undefined) return [input.port];
  const out: number[] = [];
  for (let p = input.from ?? 1; p <= (input.to ?? 0); p++) out.push(p);
  return out;
}

export interface PortAssignmentView {
  env: string;
  protocol: EntryPointProtocol;
  port: number;
  project: string;
  createdBy: string;
  createdAt: string;
  /** The entry point using the port, if any. */
  inUse: boolean;
}

const settings = {
  serviceName: nameSchema,
  servicePort: port,
  maxFails: z.number().int().min(0).max(100).optional(),
  failTimeoutSeconds: z.number().int().min(1).max(3600).optional(),
  connectTimeoutSeconds: z.number().int().min(1).max(600).nullable().optional(),
  timeoutSeconds: z.number().int().min(1).max(86400).nullable().optional(),
  udpResponses: z.number().int().min(0).max(1000).nullable().optional(),
};

function udpTcpRules(
  v: { protocol?: EntryPointProtocol; connectTimeoutSeconds?: number | null; udpResponses?: number | null },
  ctx: z.RefinementCtx,
): void {
  if (v.protocol === 'udp' && v.connectTimeoutSeconds != null)
    ctx.addIssue({
      code: 'custom',
      path: ['connectTimeoutSeconds'],
      message: 'applies to TCP entry points only',
    });
  if (v.protocol === 'tcp' && v.udpResponses != null)
    ctx.addIssue({ code: 'custom', path: ['udpResponses'], message: 'applies to UDP entry points only' });
}

/** POST /api/v1/projects/:project/envs/:env/entry-points */
export const createEntryPointSchema = z
  .object({ protocol: entryPointProtocolSchema, port, ...settings })
  .strict()
  .superRefine(udpTcpRules);
export type CreateEntryPointInput = z.infer<typeof createEntryPointSchema>;

/** PUT /api/v1/projects/:project/envs/:env/entry-points/:protocol/:port — `version` must match. */
export const updateEntryPointSchema = z
  .object({ version: z.number().int().min(1), ...settings })
  .partial({ serviceName: true, servicePort: true })
  .strict();
export type UpdateEntryPointInput = z.infer<typeof updateEntryPointSchema>;

export interface EntryPointView {
  env: string;
  project: string;
  protocol: EntryPointProtocol;
  port: number;
  serviceName: string;
  servicePort: number;
  maxFails: number;
  failTimeoutSeconds: number;
  connectTimeoutSeconds: number | null;
  timeoutSeconds: number | null;
  udpResponses: number | null;
  version: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}
