import { useEffect } from 'react';
import { Select, Space } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useNavigate } from 'react-router-dom';
import { listEnvs, listProjects, listTeams } from '../../api/resources';
import { useI18n } from '../../i18n/I18nProvider';
import type { MessageKey } from '../../i18n/en';
import { rememberScope } from './last-scope';

/** Environment names with a translated label; others show their display name. */
const envLabels: Record<string, MessageKey> = { test: 'env.test', prod: 'env.prod' };

/**
 * Team → project → environment. The team is the current project's team; picking another team
 * opens its first project. Every choice is a navigation, so the URL always says where one is.
 */
export function ScopeSelector({ project, env }: { project: string; env: string }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const teams = useQuery({ queryKey: ['teams'], queryFn: listTeams, staleTime: 60_000 });
  const all = useQuery({
    queryKey: ['projects', null],
    queryFn: () => listProjects(undefined),
    staleTime: 60_000,
  });
  const envs = useQuery({ queryKey: ['envs'], queryFn: listEnvs, staleTime: 300_000 });
  const team = all.data?.items.find((p) => p.name === project)?.team;

  useEffect(() => rememberScope({ project, env }), [project, env]);

  const inTeam = (all.data?.items ?? []).filter((p) => !team || p.team === team);
  return (
    <Space wrap size="middle" className="scope-bar">
      <Space>
        <span className="text-secondary">{t('nav.team')}</span>
        <Select
          style={{ minWidth: 160 }}
          loading={teams.isPending}
          value={team}
          aria-label={t('nav.team')}
          options={(teams.data?.items ?? []).map((x) => ({ value: x.name, label: x.displayName || x.name }))}
          onChange={(next: string) => {
            const first = all.data?.items.find((p) => p.team === next);
            if (first) void navigate(`/p/${first.name}/${env}`);
          }}
        />
      </Space>
      <Space>
        <span className="text-secondary">{t('nav.project')}</span>
        <Select
          style={{ minWidth: 180 }}
          loading={all.isPending}
          value={project}
          aria-label={t('nav.project')}
          showSearch
          options={inTeam.map((p) => ({ value: p.name, label: p.displayName || p.name }))}
          onChange={(next: string) => void navigate(`/p/${next}/${env}`)}
        />
      </Space>
      <Space>
        <span className="text-secondary">{t('nav.env')}</span>
        <Select
          style={{ minWidth: 140 }}
          loading={envs.isPending}
          value={env}
          aria-label={t('nav.env')}
          data-testid="env-select"
          options={(envs.data?.items ?? [{ name: env, displayName: env }]).map((e) => {
            const key = envLabels[e.name];
            return { value: e.name, label: key ? t(key) : e.displayName || e.name };
          })}
          onChange={(next: string) => void navigate(`/p/${project}/${next}`)}
        />
      </Space>
    </Space>
  );
}
