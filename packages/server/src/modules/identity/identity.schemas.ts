import { z } from 'zod';
import { nameSchema, userNameSchema } from '@berth/shared';
import type { Scope } from '../../http/context';
import { pageQuerySchema } from '../../http/pagination';

/** Path and query schemas of the identity routes; bodies use the shared request schemas. */
export const userParams = z.object({ user: userNameSchema });
export const teamParams = z.object({ team: nameSchema });
export const projectParams = z.object({ project: nameSchema });
export const idParams = z.object({ id: z.string().min(1).max(64) });

/** Unknown query parameters are rejected too: a mistyped filter must not silently list everything. */
export const pageQuery = pageQuerySchema.strict();
export const projectListQuery = pageQuerySchema.extend({ team: nameSchema.optional() }).strict();

/** `platform`, `team:<name>` or `project:<name>`. */
export const scopeParam = z
  .string()
  .max(80)
  .transform((value, ctx): Scope => {
    if (value === 'platform') return { kind: 'platform' };
    const m = /^(team|project):(.+)$/.exec(value);
    const name = m?.[2];
    if (m && name !== undefined && nameSchema.safeParse(name).success) {
      return m[1] === 'team' ? { kind: 'team', team: name } : { kind: 'project', project: name };
    }
    ctx.addIssue({ code: 'custom', message: 'must be "platform", "team:<name>" or "project:<name>"' });
    return z.NEVER;
  });

export const bindingListQuery = pageQuerySchema
  .extend({ user: userNameSchema.optional(), scope: scopeParam.optional() })
  .strict();

/** Reads an If-Match header carrying a version (`3`, `"3"` or `W/"3"`); null when absent. */
export function versionFromIfMatch(header: string | string[] | undefined): number | null | 'invalid' {
  if (header === undefined) return null;
  const value = Array.isArray(header) ? (header[0] ?? '') : header;
  const m = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(value);
  return m?.[1] ? Number(m[1]) : 'invalid';
}
