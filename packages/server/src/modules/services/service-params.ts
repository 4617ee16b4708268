import { z } from 'zod';
import { nameSchema } from '@berth/shared';

/** Path parameters of everything under an environment of a project. */
export const envParams = z.object({ project: nameSchema, env: nameSchema }).strict();
/** Path parameters of one service and everything that hangs off it (containers, logs, …). */
export const serviceParams = envParams.extend({ service: nameSchema }).strict();
export type ServiceParams = z.output<typeof serviceParams>;

/** The access scope of a project's resources. */
export const projectScope = (p: { project: string }) => ({ kind: 'project' as const, project: p.project });
