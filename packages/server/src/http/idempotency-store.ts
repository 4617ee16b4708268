import type { SecretBox } from '../crypto/secret-box';
import type { Db } from '../db/database';
import { nowIso } from '../util';

const keepMs = 24 * 3600 * 1000;

/**
 * Responses of POSTs sent with an Idempotency-Key, kept for 24 hours, so that a client retrying
 * after a lost response gets the first answer instead of a second create or action. They are kept
 * sealed: some carry a secret shown once (an API or node token, an app instance's password).
 */
export class IdempotencyStore {
  private lastSweep = 0;

  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  async find(key: string, actor: string): Promise<{ status: number; body: unknown } | null> {
    const row = await this.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('key', '=', key)
      .where('actor', '=', actor)
      .executeTakeFirst();
    if (!row || Date.parse(row.created_at) < Date.now() - keepMs) return null;
    // an answer kept before they were sealed is read as it is (gone within 24 hours)
    const text = row.body.startsWith('enc:') ? this.box.open(row.body) : row.body;
    return { status: row.status_code, body: JSON.parse(text) as unknown };
  }

  async save(key: string, actor: string, status: number, body: unknown): Promise<void> {
    await this.db
      .insertInto('idempotency_keys')
      .values({
        key,
        actor,
        status_code: status,
        body: this.box.seal(JSON.stringify(body ?? null)),
        created_at: nowIso(),
      })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    if (Date.now() - this.lastSweep > 3600_000) {
      this.lastSweep = Date.now();
      await this.db
        .deleteFrom('idempotency_keys')
        .where('created_at', '<', new Date(Date.now() - keepMs).toISOString())
        .execute();
    }
  }
}
