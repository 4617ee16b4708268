import {
  InvalidError,
  NotFoundError,
  UnavailableError,
  type SilenceCreate,
  type SilenceView,
} from '@berth/shared';

/*
 * Silences of a project through Alertmanager's API v2 (docs/alerts.md, "Silences"). Every
 * silence Berth creates carries the matcher berth_project="<project>" (exact, not a regex); a
 * project sees and expires only silences with its own matcher, so a developer of one project can
 * never silence, see or expire another project's.
 */

interface AmMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual?: boolean;
}
interface AmSilence {
  id: string;
  matchers: AmMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  status: { state: 'active' | 'pending' | 'expired' };
}

const timeoutMs = 10_000;

function owned(s: AmSilence, project: string): boolean {
  return s.matchers.some(
    (m) => m.name === 'berth_project' && m.value === project && !m.isRegex && m.isEqual !== false,
  );
}

function view(s: AmSilence): SilenceView {
  return {
    id: s.id,
    matchers: s.matchers.map((m) => ({
      name: m.name,
      value: m.value,
      isRegex: m.isRegex,
      isEqual: m.isEqual !== false,
    })),
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    createdBy: s.createdBy,
    comment: s.comment,
    state: s.status.state,
  };
}

export class Silences {
  /** alertmanagerUrl null: monitoring is off (BERTH_MONITORING=off), every call answers 503. */
  constructor(private readonly alertmanagerUrl: string | null) {}

  private async am(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown; text: string }> {
    if (!this.alertmanagerUrl)
      throw new UnavailableError(
        'Silences need Alertmanager, and monitoring is off (BERTH_MONITORING=off). Turn it on, or point BERTH_ALERTMANAGER_URL at an Alertmanager.',
      );
    let res: Response;
    try {
      res = await fetch(`${this.alertmanagerUrl}/api/v2${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new UnavailableError(
        `Alertmanager at ${this.alertmanagerUrl} does not answer (${err instanceof Error ? err.message : String(err)}); silences cannot be read or changed until it is back.`,
      );
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: res.status, json, text };
  }

  async list(project: string, includeExpired: boolean): Promise<SilenceView[]> {
    const filter = encodeURIComponent(`berth_project="${project}"`);
    const r = await this.am('GET', `/silences?filter=${filter}`);
    if (r.status !== 200)
      throw new UnavailableError(
        `Alertmanager refused to list silences: HTTP ${r.status} ${r.text.slice(0, 300)}`,
      );
    return (r.json as AmSilence[])
      .filter((s) => owned(s, project) && (includeExpired || s.status.state !== 'expired'))
      .sort((a, b) => b.startsAt.localeCompare(a.startsAt))
      .map(view);
  }

  async create(project: string, body: SilenceCreate, actor: string): Promise<SilenceView> {
    const matchers: AmMatcher[] = [];
    body.matchers.forEach((m, i) => {
      if (m.name !== 'berth_project') {
        matchers.push(m);
        return;
      }
      if (m.value !== project || m.isRegex || !m.isEqual)
        throw new InvalidError(
          `A silence of project '${project}' covers only its own alerts; leave berth_project out (Berth adds berth_project="${project}").`,
          [{ path: `matchers.${i}`, message: `must not name another project than '${project}'` }],
        );
    });
    matchers.push({ name: 'berth_project', value: project, isRegex: false, isEqual: true });
    const startsAt = body.startsAt ? new Date(body.startsAt) : new Date();
    let endsAt: Date;
    if (body.endsAt) endsAt = new Date(body.endsAt);
    else if (body.durationMinutes) endsAt = new Date(startsAt.getTime() + body.durationMinutes * 60_000);
    else
      throw new InvalidError('Say how long the silence lasts: durationMinutes or endsAt.', [
        { path: 'durationMinutes', message: 'is required without endsAt' },
      ]);
    if (endsAt.getTime() <= Math.max(startsAt.getTime(), Date.now()))
      throw new InvalidError('The silence would end before it starts or in the past; give a later endsAt.', [
        { path: 'endsAt', message: 'must be after startsAt and in the future' },
      ]);
    const r = await this.am('POST', '/silences', {
      matchers,
      startsAt: startsAt.toISOString(),
      endsAt: endsAt.toISOString(),
      createdBy: actor,
      comment: body.comment,
    });
    if (r.status === 400)
      throw new InvalidError(`Alertmanager refused the silence: ${r.text.trim().slice(0, 300)}`, [
        { path: 'matchers', message: r.text.trim().slice(0, 300) },
      ]);
    if (r.status !== 200)
      throw new UnavailableError(
        `Alertmanager refused the silence: HTTP ${r.status} ${r.text.slice(0, 300)}`,
      );
    const id = (r.json as { silenceID: string }).silenceID;
    return this.get(project, id);
  }

  async get(project: string, id: string): Promise<SilenceView> {
    const r = await this.am('GET', `/silence/${encodeURIComponent(id)}`);
    const s = r.status === 200 ? (r.json as AmSilence) : null;
    if (!s || !owned(s, project))
      throw new NotFoundError('NOT_FOUND', `Silence '${id}' does not exist in project '${project}'.`);
    return view(s);
  }

  /** Expires a silence of the project (Alertmanager keeps it, expired, for its retention). */
  async expire(project: string, id: string): Promise<void> {
    const s = await this.get(project, id);
    if (s.state === 'expired') return;
    const r = await this.am('DELETE', `/silence/${encodeURIComponent(id)}`);
    if (r.status !== 200)
      throw new UnavailableError(
        `Alertmanager refused to expire the silence: HTTP ${r.status} ${r.text.slice(0, 300)}`,
      );
  }
}
