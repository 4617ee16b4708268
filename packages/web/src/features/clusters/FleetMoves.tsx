import { Empty, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useState, type HTMLAttributes, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../../api/client';
import { listProjects } from '../../api/resources';
import { ErrorState } from '../../components/ErrorState';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { reasonText } from '../services/PlacementEditor';
import { clusterKeys, listClusters, listEnvsWithClusters } from './clusters-api';
import { envLabel } from './EnvClustersSection';
import {
  clustersOfMoves,
  filterNames,
  moveClusters,
  moveKey,
  moveServicePath,
  moveText,
  movesQuery,
  parseNote,
  type MovesFilter,
  type PlacementMove,
} from './moves-view';
import './strings';

export const movesKey = ['clusters', 'moves'] as const;

export const listMoves = (filter: MovesFilter = {}) =>
  api<{ items: PlacementMove[] }>('/api/v1/fleet/moves', { query: movesQuery(filter) });

/**
 * The fleet view: services whose replicas are moving between clusters (a failover, a drain, a
 * placement change, the move back), polled every few seconds; each with its replicas per cluster
 * now → wanted, the failed-over clusters in red, the unplaced ones and the placer's notes. Selects
 * narrow it by project, environment and cluster through the API's filters (docs/fleet.md).
 */
export function FleetMoves() {
  const { t } = useI18n();
  const [filter, setFilter] = useState<MovesFilter>({});
  const filtered = Object.keys(movesQuery(filter)).length > 0;
  const moves = useQuery({
    queryKey: [...movesKey, movesQuery(filter)],
    queryFn: () => listMoves(filter),
    // live while the page is open; stops after an error (an expired session) until Try again
    refetchInterval: (q) => (q.state.status === 'error' ? false : 3000),
  });
  // the options: the projects the caller may read, the environments, the registered clusters
  const projects = useQuery({ queryKey: ['projects', null], queryFn: () => listProjects(undefined) });
  const envs = useQuery({ queryKey: clusterKeys.envs, queryFn: listEnvsWithClusters });
  const clusters = useQuery({ queryKey: clusterKeys.list(''), queryFn: () => listClusters('') });
  const listed = moves.data?.items ?? [];
  const envNames = filterNames(
    (envs.data?.items ?? []).map((e) => e.name),
    listed.map((m) => m.env),
    filter.env,
  );
  const envOf = new Map((envs.data?.items ?? []).map((e) => [e.name, e]));
  const set = (patch: MovesFilter) => setFilter((f) => ({ ...f, ...patch }));
  return (
    <section className="cluster-section" data-testid="fleet-moves">
      <Typography.Title level={5}>{t('clusters.moves.title')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('clusters.moves.intro')}</Typography.Paragraph>
      <div className="cluster-toolbar" data-testid="fleet-moves-filters">
        <FilterSelect
          which="project"
          filter={filter}
          onChange={set}
          options={filterNames(
            (projects.data?.items ?? []).map((p) => p.name),
            listed.map((m) => m.project),
            filter.project,
          ).map((name) => ({ value: name, label: <span translate="no">{name}</span> }))}
        />
        <FilterSelect
          which="env"
          filter={filter}
          onChange={set}
          options={envNames.map((name) => {
            const e = envOf.get(name);
            return { value: name, label: e ? envLabel(t, e) : name };
          })}
        />
        <FilterSelect
          which="cluster"
          filter={filter}
          onChange={set}
          options={filterNames(
            (clusters.data?.items ?? []).map((c) => c.name),
            clustersOfMoves(listed),
            filter.cluster,
            'local',
          ).map((name) => ({ value: name, label: <span translate="no">{name}</span> }))}
        />
      </div>
      {moves.isError ? (
        <ErrorState error={moves.error} onRetry={() => void moves.refetch()} />
      ) : (
        <Table<PlacementMove>
          rowKey={moveKey}
          size="small"
          loading={moves.isPending}
          dataSource={listed}
          pagination={false}
          scroll={{ x: 900 }}
          data-testid="fleet-moves-table"
          onRow={(m) => ({ 'data-testid': `move-${moveKey(m)}` }) as HTMLAttributes<HTMLElement>}
          locale={{
            emptyText: (
              <Empty
                description={t(filtered ? 'clusters.moves.emptyFiltered' : 'clusters.moves.empty')}
                data-testid="fleet-moves-empty"
              />
            ),
          }}
          columns={[
            {
              key: 'service',
              title: t('clusters.moves.col.service'),
              render: (_, m) => (
                <Link to={moveServicePath(m)} translate="no" data-testid="move-service">
                  {m.project}/{m.service}
                </Link>
              ),
            },
            {
              key: 'env',
              title: t('clusters.moves.col.env'),
              render: (_, m) => <span translate="no">{m.env}</span>,
            },
            {
              key: 'clusters',
              title: t('clusters.moves.col.clusters'),
              render: (_, m) => (
                <Space size={[4, 4]} wrap>
                  {moveClusters(m).map((c) => (
                    <Tooltip
                      key={c.cluster}
                      title={t('clusters.moves.cluster.tip', {
                        cluster: c.cluster,
                        current: c.current,
                        target: c.target,
                      })}
                    >
                      <Tag
                        color={c.failedOver ? 'red' : c.current === c.target ? undefined : 'orange'}
                        translate="no"
                        data-testid={`move-cluster-${c.cluster}`}
                        data-current={c.current}
                        data-target={c.target}
                      >
                        {moveText(c)}
                      </Tag>
                    </Tooltip>
                  ))}
                </Space>
              ),
            },
            {
              key: 'failedOver',
              title: t('clusters.moves.col.failedOver'),
              render: (_, m) =>
                m.failedOver.length === 0 ? (
                  t('clusters.moves.none')
                ) : (
                  <Space size={[4, 4]} wrap>
                    {m.failedOver.map((cluster) => (
                      <Tooltip key={cluster} title={t('clusters.moves.failedOver.tip', { cluster })}>
                        <Tag color="red" translate="no" data-testid={`move-failed-over-${cluster}`}>
                          {cluster}
                        </Tag>
                      </Tooltip>
                    ))}
                  </Space>
                ),
            },
            {
              key: 'unplaced',
              title: t('clusters.moves.col.unplaced'),
              render: (_, m) =>
                m.unplaced > 0 ? (
                  <Typography.Text type="warning" data-testid="move-unplaced">
                    {t('clusters.moves.unplaced.value', { count: m.unplaced })}
                  </Typography.Text>
                ) : (
                  t('clusters.moves.none')
                ),
            },
            {
              key: 'notes',
              title: t('clusters.moves.col.notes'),
              render: (_, m) =>
                m.notes.length === 0 ? (
                  t('clusters.moves.none')
                ) : (
                  <Space direction="vertical" size={0}>
                    {m.notes.map((note) => {
                      const n = parseNote(note);
                      return (
                        <Tooltip key={note} title={<span translate="no">{note}</span>}>
                          <span data-testid={`move-note-${n.cluster ?? ''}`}>
                            {n.cluster ? (
                              <>
                                <span translate="no">{n.cluster}</span>
                                {t('clusters.moves.colon')}
                                {reasonText(t, n.reason)}
                              </>
                            ) : (
                              reasonText(t, n.reason)
                            )}
                          </span>
                        </Tooltip>
                      );
                    })}
                  </Space>
                ),
            },
            {
              key: 'since',
              title: t('clusters.moves.col.since'),
              render: (_, m) => <TimeText at={m.since} />,
            },
          ]}
        />
      )}
    </section>
  );
}

/**
 * One filter of the fleet view: a clearable select, "All …" when empty, typed into to search by
 * name (`moves-filter-project`, `-env`, `-cluster` for the tests).
 */
function FilterSelect({
  which,
  filter,
  onChange,
  options,
}: {
  which: keyof MovesFilter;
  filter: MovesFilter;
  onChange: (patch: MovesFilter) => void;
  options: { value: string; label: ReactNode }[];
}) {
  const { t } = useI18n();
  return (
    <Select<string>
      allowClear
      showSearch
      optionFilterProp="value"
      style={{ width: 200 }}
      placeholder={t(`clusters.moves.filter.${which}`)}
      aria-label={t(`clusters.moves.filter.${which}Label`)}
      value={filter[which]}
      onChange={(v) => onChange({ [which]: v || undefined })}
      options={options}
      data-testid={`moves-filter-${which}`}
    />
  );
}
