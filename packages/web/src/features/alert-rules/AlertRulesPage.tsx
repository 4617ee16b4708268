import { useState } from 'react';
import { App, Button, Card, Empty, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AlertRule, AlertRuleVersion } from '@berth/shared';
import { Link, useParams } from 'react-router-dom';
import { ErrorState, errorText } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { ScopeSelector } from '../nav/ScopeSelector';
import { AlertRuleFormModal } from './AlertRuleFormModal';
import {
  alertRuleKeys,
  deleteAlertRule,
  listAlertRules,
  listAlertRuleVersions,
  rollbackAlertRules,
} from './alert-rules-api';
import './strings';

const scopeText = (r: AlertRule) =>
  Object.entries(r.scope)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ') || '—';

/** A unified diff, lines coloured by their sign. */
function DiffText({ diff }: { diff: string }) {
  return (
    <pre className="alert-rule-diff" style={{ fontSize: 12, maxHeight: 360, overflow: 'auto', margin: 0 }}>
      {diff.split('\n').map((line, i) => (
        <div
          key={i}
          data-diff={line.startsWith('+') ? 'added' : line.startsWith('-') ? 'removed' : 'same'}
          style={{
            background: line.startsWith('+') ? '#e6ffec' : line.startsWith('-') ? '#ffebe9' : undefined,
          }}
        >
          {line || ' '}
        </div>
      ))}
    </pre>
  );
}

/** An environment's alert rules: list, editor with preview, and the versions with diff and rollback. */
export function AlertRulesPage() {
  const { project = '', env = '' } = useParams();
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const rules = useQuery({
    queryKey: alertRuleKeys.list(project, env),
    queryFn: () => listAlertRules(project, env),
    refetchInterval: 10_000,
  });
  const versions = useQuery({
    queryKey: alertRuleKeys.versions(project, env),
    queryFn: () => listAlertRuleVersions(project, env),
  });
  const reload = async () => {
    await queryClient.invalidateQueries({ queryKey: alertRuleKeys.list(project, env) });
  };
  // null: closed; '': creating; a name: editing that rule
  const [editing, setEditing] = useState<string | null>(null);
  const current = editing ? (rules.data?.items.find((r) => r.name === editing) ?? null) : null;
  const remove = useMutation({
    mutationFn: (name: string) => deleteAlertRule(project, env, name),
    onSuccess: async (_r, name) => {
      void message.success(t('ar.deleted', { name }));
      await reload();
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  const rollback = useMutation({
    mutationFn: (version: number) => rollbackAlertRules(project, env, version),
    onSuccess: async (r) => {
      void message.success(t('ar.versions.rolledBack', { version: r.version }));
      await reload();
    },
    onError: (err) => void message.error(errorText(t, err)),
  });

  return (
    <>
      <ScopeSelector project={project} env={env} />
      <div className="page-head">
        <Space align="center">
          <Link to={`/p/${project}/${env}`}>{t('nav.services')}</Link>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t('ar.title')}
          </Typography.Title>
        </Space>
        <Button type="primary" data-testid="create-alert-rule" onClick={() => setEditing('')}>
          {t('ar.create')}
        </Button>
      </div>
      <Typography.Paragraph type="secondary">{t('ar.intro', { project, env })}</Typography.Paragraph>
      {rules.isPending ? <PageSkeleton /> : null}
      {rules.isError ? <ErrorState error={rules.error} onRetry={() => void rules.refetch()} /> : null}
      {rules.data ? (
        <Table<AlertRule>
          rowKey="name"
          size="middle"
          dataSource={rules.data.items}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          scroll={{ x: 900 }}
          data-testid="alert-rules-table"
          expandable={{
            expandedRowRender: (r) => (
              <Typography.Text code data-testid={`alert-rule-expr-${r.name}`}>
                {r.expr}
              </Typography.Text>
            ),
          }}
          locale={{
            emptyText: (
              <Empty
                data-testid="alert-rules-empty"
                description={
                  <>
                    <Typography.Paragraph strong>
                      {t('ar.empty.title', { project, env })}
                    </Typography.Paragraph>
                    <Typography.Paragraph type="secondary">{t('ar.empty.hint')}</Typography.Paragraph>
                  </>
                }
              />
            ),
          }}
          columns={[
            {
              key: 'name',
              title: t('ar.col.name'),
              render: (_, r) => <span data-testid={`alert-rule-${r.name}`}>{r.name}</span>,
            },
            {
              key: 'template',
              title: t('ar.col.template'),
              render: (_, r) => t(`ar.template.${r.template}`),
            },
            { key: 'scope', title: t('ar.col.scope'), render: (_, r) => scopeText(r) },
            { key: 'threshold', title: t('ar.col.threshold'), render: (_, r) => r.threshold ?? '—' },
            { key: 'for', title: t('ar.col.for'), render: (_, r) => r.for },
            {
              key: 'severity',
              title: t('ar.col.severity'),
              render: (_, r) => (
                <Tag color={r.severity === 'critical' ? 'red' : r.severity === 'warning' ? 'orange' : 'blue'}>
                  {r.severity}
                </Tag>
              ),
            },
            {
              key: 'state',
              title: t('ar.col.state'),
              render: (_, r) => (
                <span data-testid={`alert-rule-state-${r.name}`}>
                  {r.enabled ? (
                    <Tag color="success">{t('ar.enabled')}</Tag>
                  ) : r.endedReason ? (
                    <Tag>{t('ar.ended', { reason: r.endedReason })}</Tag>
                  ) : (
                    <Tag>{t('ar.disabled')}</Tag>
                  )}
                </span>
              ),
            },
            {
              key: 'actions',
              title: '',
              width: 170,
              render: (_, r) => (
                <Space size={4}>
                  <Button
                    size="small"
                    data-testid={`alert-rule-edit-${r.name}`}
                    onClick={() => setEditing(r.name)}
                  >
                    {t('ar.edit')}
                  </Button>
                  <Popconfirm
                    title={t('ar.delete.confirm', { name: r.name })}
                    okButtonProps={{ danger: true, ...{ 'data-testid': `alert-rule-delete-ok-${r.name}` } }}
                    onConfirm={() => remove.mutate(r.name)}
                  >
                    <Button size="small" danger data-testid={`alert-rule-delete-${r.name}`}>
                      {t('ar.delete')}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      ) : null}
      <Card title={t('ar.versions')} size="small" style={{ marginTop: 16 }}>
        {versions.isError ? (
          <ErrorState error={versions.error} onRetry={() => void versions.refetch()} />
        ) : null}
        <Table<AlertRuleVersion>
          rowKey="number"
          size="small"
          data-testid="alert-rule-versions"
          dataSource={versions.data?.items ?? []}
          loading={versions.isPending}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          expandable={{ expandedRowRender: (v) => <DiffText diff={v.diff} /> }}
          columns={[
            {
              key: 'number',
              title: t('ar.versions.col.number'),
              render: (_, v) => <span data-testid={`alert-rule-version-${v.number}`}>{v.number}</span>,
            },
            { key: 'by', title: t('ar.versions.col.by'), render: (_, v) => v.author },
            {
              key: 'when',
              title: t('ar.versions.col.when'),
              render: (_, v) => <TimeText at={v.createdAt} />,
            },
            { key: 'reason', title: t('ar.versions.col.reason'), render: (_, v) => v.reason },
            { key: 'rules', title: t('ar.versions.col.rules'), render: (_, v) => v.rules },
            {
              key: 'actions',
              title: '',
              render: (_, v) =>
                v.number === versions.data?.items[0]?.number ? null : (
                  <Popconfirm
                    title={t('ar.versions.rollback.confirm', { version: v.number })}
                    okButtonProps={{ ...{ 'data-testid': `alert-rule-rollback-ok-${v.number}` } }}
                    onConfirm={() => rollback.mutate(v.number)}
                  >
                    <Button size="small" data-testid={`alert-rule-rollback-${v.number}`}>
                      {t('ar.versions.rollback')}
                    </Button>
                  </Popconfirm>
                ),
            },
          ]}
        />
      </Card>
      {editing !== null ? (
        <AlertRuleFormModal
          project={project}
          env={env}
          rule={current}
          onDone={(saved) => {
            setEditing(null);
            void message.success(t('ar.saved', { name: saved.name, version: saved.version }));
            void reload();
          }}
          onCancel={() => setEditing(null)}
        />
      ) : null}
    </>
  );
}
