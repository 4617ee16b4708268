import { useEffect, useMemo, useState, type HTMLAttributes } from 'react';
import { Alert, Form, InputNumber, Radio, Select, Space, Spin, Table, Tag, Tooltip, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import {
  divisionKinds,
  type PlacementInput,
  type PlacementPreview,
  type PlacementPreviewItem,
} from '@berth/shared';
import { isApiError } from '../../api/errors';
import { errorText } from '../../components/ErrorState';
import type { MessageKey } from '../../i18n/en';
import { useI18n, type Translate } from '../../i18n/I18nProvider';
import { clusterKeys, listClusters, type Cluster } from '../clusters/clusters-api';
import { ClusterFlags, ClusterStateTag } from '../clusters/ClusterTags';
import { getEnv, previewNewPlacement, previewServicePlacement } from './service-api';
import {
  defaultPlacementOf,
  toPlacement,
  type PlacementFormValues,
  type ServiceFormValues,
} from './service-form';

/** Where the editor previews: the environment (create form) or an existing service (edit form). */
export interface PlacementTarget {
  project: string;
  env: string;
  /** Set when editing: the service previewed, and the placement it has now (absent: default). */
  service?: { name: string; placement: PlacementInput | undefined };
}

const namePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const debounceMs = 300;

function useFleet(env: string) {
  // its own key: ['envs'] is the environment list (scope selector, clusters page)
  const envQuery = useQuery({ queryKey: ['env', env], queryFn: () => getEnv(env) });
  const clusters = useQuery({ queryKey: clusterKeys.list(''), queryFn: () => listClusters() });
  const byName = useMemo(
    () => new Map((clusters.data?.items ?? []).map((c) => [c.name, c] as const)),
    [clusters.data],
  );
  // no cluster `local` (BERTH_LOCAL_CLUSTER=off): the default placement is every env cluster
  const clusterNames = useMemo(() => clusters.data?.items.map((c) => c.name) ?? null, [clusters.data]);
  return { envClusters: envQuery.data?.clusters ?? null, byName, clusterNames };
}

/** A cluster's name with its state and cordon/drain badges. */
function ClusterBadge({ name, cluster }: { name: string; cluster: Cluster | undefined }) {
  return (
    <Space size={4} data-testid={`placement-cluster-${name}`}>
      <Typography.Text strong translate="no">
        {name}
      </Typography.Text>
      {cluster ? (
        <>
          <ClusterStateTag cluster={cluster} />
          <ClusterFlags cluster={cluster} />
        </>
      ) : null}
    </Space>
  );
}

/** A read-only form control showing a cluster's name (so errors at `clusters.<i>.name` show at its row). */
function ClusterNameCell(props: { value?: string; byName: Map<string, Cluster>; inEnv: boolean }) {
  const { t } = useI18n();
  const name = props.value ?? '';
  return (
    <Space size={4} style={{ minWidth: 220, paddingTop: 4 }}>
      <ClusterBadge name={name} cluster={props.byName.get(name)} />
      {props.inEnv ? null : <Tag color="red">{t('svc.placement.notInEnv')}</Tag>}
    </Space>
  );
}

const reasonKeys: Array<[RegExp, MessageKey]> = [
  [/^not one of the environment's clusters/, 'svc.placement.reason.notInEnv'],
  [/^draining/, 'svc.placement.reason.draining'],
  [/^unhealthy/, 'svc.placement.reason.unhealthy'],
  [/^cordoned/, 'svc.placement.reason.cordoned'],
  [/^free memory not known/, 'svc.placement.reason.unknownCapacity'],
  [/^no capacity: no free memory/, 'svc.placement.reason.full'],
  [/^not in the placement/, 'svc.placement.reason.notPlaced'],
];

/** The division's reason in the UI's language (the server's words stay in the tooltip). */
export function reasonText(t: Translate, reason: string): string {
  const fit = /^no capacity: only (\d+) fit/.exec(reason);
  if (fit) return t('svc.placement.reason.noCapacity', { count: Number(fit[1]) });
  const known = reasonKeys.find(([re]) => re.test(reason));
  return t(known ? known[1] : 'svc.placement.reason.other');
}

/** The request the preview sends for the form's current values, or null when there is nothing to preview. */
function previewRequest(
  target: PlacementTarget,
  placement: PlacementFormValues | undefined,
  replicas: number | null | undefined,
  name: string | undefined,
  memoryMiB: number | null | undefined,
  /** The placement a service without `spec.placement` has (defaultPlacementOf). */
  fallback: PlacementInput,
): { key: string; run: (signal: AbortSignal) => Promise<PlacementPreview> } | null {
  if (placement?.mode === 'clusters' && !(placement.clusters ?? []).length) return null;
  if (replicas == null || !Number.isInteger(replicas) || replicas < 0 || replicas > 100) return null;
  const chosen = toPlacement(placement);
  if (target.service) {
    const ref = { project: target.project, env: target.env, service: target.service.name };
    const own = JSON.stringify(target.service.placement ?? null) === JSON.stringify(chosen ?? null);
    // The service's own placement is left out, so the preview divides stably from what runs.
    const body = { replicas, ...(own ? {} : { placement: chosen ?? fallback }) };
    return {
      key: JSON.stringify(['svc', ref, body]),
      run: (signal) => previewServicePlacement(ref, body, signal),
    };
  }
  const service = name?.trim();
  const body = {
    replicas,
    ...(chosen ? { placement: chosen } : {}),
    ...(service && namePattern.test(service) && service.length <= 63 ? { service } : {}),
    ...(memoryMiB && Number.isInteger(memoryMiB) && memoryMiB >= 6 ? { memoryMiB } : {}),
  };
  return {
    key: JSON.stringify(['env', target.project, target.env, body]),
    run: (signal) => previewNewPlacement(target.project, target.env, body, signal),
  };
}

type PreviewState =
  | { kind: 'idle' }
  | { kind: 'loading'; last: PlacementPreview | null }
  | { kind: 'done'; preview: PlacementPreview }
  | { kind: 'failed'; error: unknown };

/**
 * Asks for the preview of the form's placement as the user edits: debounced, and a newer edit
 * aborts the request of an older one (an answer only shows for the values it was asked for).
 */
function useLivePreview(target: PlacementTarget): PreviewState {
  const form = Form.useFormInstance<ServiceFormValues>();
  const placement = Form.useWatch((v: ServiceFormValues) => v.placement, { form, preserve: true });
  const replicas = Form.useWatch('replicas', form);
  const name = Form.useWatch('name', form);
  const memoryMiB = Form.useWatch('memoryMiB', form);
  const { clusterNames } = useFleet(target.env);
  const request = previewRequest(
    target,
    placement,
    replicas,
    name,
    memoryMiB,
    defaultPlacementOf(clusterNames),
  );
  const key = request?.key ?? null;
  const [state, setState] = useState<PreviewState>({ kind: 'idle' });
  useEffect(() => {
    if (!request) {
      setState({ kind: 'idle' });
      return;
    }
    const controller = new AbortController();
    setState((s) => ({
      kind: 'loading',
      last: s.kind === 'done' ? s.preview : s.kind === 'loading' ? s.last : null,
    }));
    const timer = setTimeout(() => {
      request.run(controller.signal).then(
        (preview) => {
          if (!controller.signal.aborted) setState({ kind: 'done', preview });
        },
        (error: unknown) => {
          if (!controller.signal.aborted) setState({ kind: 'failed', error });
        },
      );
    }, debounceMs);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
    // `key` is the request's identity; `request` is rebuilt on every render.
  }, [key]);
  return state;
}

/** The preview under the editor: replicas per cluster, why fewer, what cannot be placed. */
function PlacementPreviewPanel({
  target,
  byName,
}: {
  target: PlacementTarget;
  byName: Map<string, Cluster>;
}) {
  const { t } = useI18n();
  const state = useLivePreview(target);
  if (state.kind === 'idle') return null;
  if (state.kind === 'failed') {
    const fields = isApiError(state.error) ? state.error.fields : [];
    const message = fields.length
      ? fields.map((f) => `${f.path}: ${f.message}`).join('; ')
      : errorText(t, state.error);
    return (
      <Alert
        type="warning"
        showIcon
        data-testid="placement-preview-error"
        title={<span translate="no">{t('svc.placement.preview.failed', { message })}</span>}
      />
    );
  }
  const preview = state.kind === 'done' ? state.preview : state.last;
  const editing = Boolean(target.service);
  return (
    <div data-testid="placement-preview" data-state={state.kind}>
      <Typography.Text strong>
        {t('svc.placement.preview')} {state.kind === 'loading' ? <Spin size="small" /> : null}
      </Typography.Text>
      {preview?.refused ? (
        <Alert
          type="warning"
          showIcon
          style={{ margin: '8px 0' }}
          data-testid="placement-preview-refused"
          title={
            <span translate="no">{t('svc.placement.preview.refused', { message: preview.refused })}</span>
          }
        />
      ) : null}
      {preview && preview.unplaced > 0 ? (
        <Alert
          type="warning"
          showIcon
          style={{ margin: '8px 0' }}
          data-testid="placement-preview-unplaced"
          title={t('svc.placement.preview.unplaced', { count: preview.unplaced })}
        />
      ) : null}
      <Table<PlacementPreviewItem>
        rowKey="cluster"
        size="small"
        pagination={false}
        style={{ marginTop: 8, maxWidth: 720 }}
        loading={!preview}
        locale={{ emptyText: t('svc.placement.preview.loading') }}
        dataSource={preview?.items ?? []}
        onRow={(item) =>
          ({ 'data-testid': `placement-preview-${item.cluster}` }) as HTMLAttributes<HTMLElement>
        }
        columns={[
          {
            key: 'cluster',
            title: t('svc.placement.preview.cluster'),
            render: (_, item) => <ClusterBadge name={item.cluster} cluster={byName.get(item.cluster)} />,
          },
          {
            key: 'replicas',
            title: editing ? t('svc.placement.preview.change') : t('svc.placement.preview.replicas'),
            render: (_, item) => (
              <span data-testid={`placement-replicas-${item.cluster}`} data-replicas={item.replicas}>
                {editing ? `${item.current} → ${item.replicas}` : item.replicas}
              </span>
            ),
          },
          {
            key: 'reason',
            title: t('svc.placement.preview.reason'),
            render: (_, item) =>
              item.reason ? (
                <Tooltip title={<span translate="no">{item.reason}</span>}>
                  <span data-testid={`placement-reason-${item.cluster}`}>{reasonText(t, item.reason)}</span>
                </Tooltip>
              ) : null,
          },
        ]}
      />
    </div>
  );
}

/**
 * The service form's "Placement" section: the environment's default, chosen clusters with
 * weights, or all its clusters; the division and the minimum per cluster; and a live preview of
 * where the replicas would run. Field ids: `svc-placement-*`; API errors at `spec.placement…`
 * land on these fields (service-form.ts `fieldFor`).
 */
export function PlacementEditor({ target }: { target: PlacementTarget }) {
  const { t } = useI18n();
  const form = Form.useFormInstance<ServiceFormValues>();
  const placement = Form.useWatch((v: ServiceFormValues) => v.placement, { form, preserve: true });
  const mode = placement?.mode;
  const division = placement?.division;
  const chosen = placement?.clusters ?? [];
  const { envClusters, byName, clusterNames } = useFleet(target.env);
  const inEnv = (name: string) => envClusters === null || envClusters.includes(name);
  const options = [...(envClusters ?? []), ...chosen.map((c) => c.name).filter((n) => !inEnv(n))].map(
    (name) => ({
      value: name,
      label: name,
    }),
  );

  return (
    <div data-testid="placement-editor">
      <Form.Item name={['placement', 'mode']} label={t('svc.placement.mode')}>
        <Radio.Group id="svc-placement-mode">
          <Radio value="default" data-testid="placement-mode-default">
            {t(
              defaultPlacementOf(clusterNames).clusters === 'all'
                ? 'svc.placement.mode.defaultAll'
                : 'svc.placement.mode.default',
            )}
          </Radio>
          <Radio value="clusters" data-testid="placement-mode-clusters">
            {t('svc.placement.mode.clusters')}
          </Radio>
          <Radio value="all" data-testid="placement-mode-all">
            {t('svc.placement.mode.all')}
          </Radio>
        </Radio.Group>
      </Form.Item>
      {mode === 'all' ? (
        <Typography.Paragraph type="secondary" data-testid="placement-all-clusters">
          {t('svc.placement.mode.all.help', { env: target.env, clusters: (envClusters ?? []).join(', ') })}
        </Typography.Paragraph>
      ) : null}
      {mode === 'clusters' ? (
        <>
          <Form.Item
            name={['placement', 'clusters']}
            label={t('svc.placement.clusters')}
            rules={[{ required: true, type: 'array', min: 1, message: t('svc.placement.clusters.none') }]}
            getValueProps={(v: PlacementFormValues['clusters'] | undefined) => ({
              value: (v ?? []).map((c) => c.name),
            })}
            normalize={(names: string[], prev: PlacementFormValues['clusters'] | undefined) =>
              names.map((n) => prev?.find((c) => c.name === n) ?? { name: n, weight: 1 })
            }
          >
            <Select
              id="svc-placement-clusters"
              mode="multiple"
              style={{ maxWidth: 520 }}
              placeholder={t('svc.placement.clusters.placeholder', { env: target.env })}
              options={options}
              optionRender={(o) => (
                <ClusterBadge name={String(o.value)} cluster={byName.get(String(o.value))} />
              )}
            />
          </Form.Item>
          {chosen.map((c, i) => (
            <Space
              key={c.name}
              align="start"
              wrap
              style={{ display: 'flex' }}
              data-testid={`placement-row-${c.name}`}
            >
              <Form.Item name={['placement', 'clusters', i, 'name']} style={{ marginBottom: 8 }}>
                <ClusterNameCell byName={byName} inEnv={inEnv(c.name)} />
              </Form.Item>
              {division === 'weighted' || division === undefined ? (
                <Form.Item
                  name={['placement', 'clusters', i, 'weight']}
                  style={{ marginBottom: 8 }}
                  rules={[{ required: true, message: t('create.required') }]}
                >
                  <InputNumber
                    id={`svc-placement-weight-${c.name}`}
                    min={1}
                    max={1000}
                    precision={0}
                    addonBefore={t('svc.placement.weight')}
                    style={{ width: 170 }}
                  />
                </Form.Item>
              ) : null}
            </Space>
          ))}
          {chosen.length && (division === 'weighted' || division === undefined) ? (
            <Typography.Paragraph type="secondary">{t('svc.placement.weight.help')}</Typography.Paragraph>
          ) : null}
        </>
      ) : null}
      {mode === 'clusters' || mode === 'all' ? (
        <Space wrap align="start" size="large">
          <Form.Item name={['placement', 'division']} label={t('svc.placement.division')}>
            <Radio.Group id="svc-placement-division">
              <Space direction="vertical" size={2}>
                {divisionKinds.map((d) => (
                  <Radio key={d} value={d} data-testid={`placement-division-${d}`}>
                    {t(`svc.placement.division.${d}`)}
                    <Typography.Text type="secondary" style={{ marginLeft: 8 }}>
                      {t(`svc.placement.division.${d}.help`)}
                    </Typography.Text>
                  </Radio>
                ))}
              </Space>
            </Radio.Group>
          </Form.Item>
          <Form.Item
            name={['placement', 'minPerCluster']}
            label={t('svc.placement.minPerCluster')}
            extra={t('svc.placement.minPerCluster.help')}
            style={{ maxWidth: 260 }}
          >
            <InputNumber id="svc-placement-min" min={0} max={100} precision={0} />
          </Form.Item>
        </Space>
      ) : null}
      <PlacementPreviewPanel target={target} byName={byName} />
    </div>
  );
}
