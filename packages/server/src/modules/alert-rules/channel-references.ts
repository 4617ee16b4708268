import type { Db } from '../../db/database';

/**
 * The alert rules of a project that name a channel, as "env/rule": the alerts module refuses to
 * delete a channel while any do (their alerts would go nowhere; docs/alerts.md). Read here, by
 * the module that owns alert_rules.
 */
export async function rulesNamingChannel(db: Db, project: string, channel: string): Promise<string[]> {
  const rows = await db
    .selectFrom('alert_rules')
    .select(['env', 'name', 'channels'])
    .where('project', '=', project)
    .orderBy('env')
    .orderBy('name')
    .execute();
  return rows
    .filter((r) => (JSON.parse(r.channels) as string[]).includes(channel))
    .map((r) => `${r.env}/${r.name}`);
}
