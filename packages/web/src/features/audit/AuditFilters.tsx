import { useQuery } from '@tanstack/react-query';
import { Button, Input, Select, Typography } from 'antd';
import type { AuditEvent } from '@berth/shared';
import { listProjects } from '../../api/resources';
import { useI18n } from '../../i18n/I18nProvider';
import type { AuditFilter } from './audit-api';

const results: Array<AuditEvent['result']> = ['success', 'denied', 'failure'];

/** `2026-01-31T09:30` (what a datetime-local input holds, local time) from an RFC 3339 time. */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function fromLocalInput(value: string): string | undefined {
  const d = new Date(value);
  return value && !Number.isNaN(d.getTime()) ? d.toISOString() : undefined;
}

/** The explorer's filters; every change is applied at once (text filters on Enter). */
export function AuditFilters(props: { filter: AuditFilter; onChange: (f: AuditFilter) => void }) {
  const { t } = useI18n();
  const { filter, onChange } = props;
  const projects = useQuery({ queryKey: ['projects', null], queryFn: () => listProjects(undefined) });
  const set = (patch: Partial<AuditFilter>) => onChange({ ...filter, ...patch });
  const text = (key: 'actor' | 'action' | 'target', placeholder: string, label: string) => (
    <Input.Search
      allowClear
      defaultValue={filter[key]}
      placeholder={placeholder}
      aria-label={label}
      onSearch={(v) => set({ [key]: v.trim() || undefined })}
    />
  );
  const lastHours = (hours: number) =>
    set({ since: new Date(Date.now() - hours * 3_600_000).toISOString(), until: undefined });
  return (
    <div className="audit-filters" data-testid="audit-filters">
      {text('actor', t('audit.filter.actor'), t('audit.actor'))}
      {text('action', t('audit.filter.action'), t('audit.action'))}
      {text('target', t('audit.filter.target'), t('audit.target'))}
      <Select
        allowClear
        showSearch
        placeholder={t('audit.filter.project')}
        aria-label={t('audit.project')}
        value={filter.project}
        onChange={(v: string | undefined) => set({ project: v })}
        options={(projects.data?.items ?? []).map((p) => ({ value: p.name, label: p.name }))}
        data-testid="audit-project"
      />
      <Select
        allowClear
        placeholder={t('audit.filter.result')}
        aria-label={t('audit.result')}
        value={filter.result}
        onChange={(v: AuditEvent['result'] | undefined) => set({ result: v })}
        options={results.map((r) => ({ value: r, label: t(`audit.result.${r}`) }))}
        data-testid="audit-result"
      />
      <Typography.Text type="secondary">{t('audit.filter.since')}</Typography.Text>
      <Input
        type="datetime-local"
        aria-label={t('audit.filter.since')}
        value={toLocalInput(filter.since)}
        onChange={(e) => set({ since: fromLocalInput(e.target.value) })}
        data-testid="audit-since"
      />
      <Typography.Text type="secondary">{t('audit.filter.until')}</Typography.Text>
      <Input
        type="datetime-local"
        aria-label={t('audit.filter.until')}
        value={toLocalInput(filter.until)}
        onChange={(e) => set({ until: fromLocalInput(e.target.value) })}
        data-testid="audit-until"
      />
      <Button size="small" onClick={() => lastHours(1)}>
        {t('audit.filter.lastHour')}
      </Button>
      <Button size="small" onClick={() => lastHours(24)}>
        {t('audit.filter.lastDay')}
      </Button>
      <Typography.Text type="secondary">{t('audit.filter.help')}</Typography.Text>
    </div>
  );
}
