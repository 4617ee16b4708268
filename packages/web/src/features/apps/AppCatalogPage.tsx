import { useState } from 'react';
import { Alert, Button, Card, Col, Row, Skeleton, Space, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import type { AppSummary } from '@berth/shared';
import { ErrorState } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { lastScope, type Scope } from '../nav/last-scope';
import { appKeys, getApp, listApps } from './apps-api';
import { localized, pickVersion } from './app-view';
import { InstallAppModal } from './InstallAppModal';
import { AppImagesPanel } from './AppImagesPanel';
import './strings';

/** The environment installs go to: `?project=&env=` (from an instances page), else the last one used. */
function useTarget(): Scope | null {
  const [params] = useSearchParams();
  const project = params.get('project');
  const env = params.get('env');
  return project && env ? { project, env } : lastScope();
}

/** One app: its title, description, versions and notes, and Install. */
function AppCard({ summary, target }: { summary: AppSummary; target: Scope | null }) {
  const { t, lang } = useI18n();
  const navigate = useNavigate();
  const [installing, setInstalling] = useState(false);
  // The card's details (notes, what it creates) are the latest version's.
  const app = useQuery({ queryKey: appKeys.app(summary.name), queryFn: () => getApp(summary.name) });
  const latest = app.data ? pickVersion(app.data) : null;
  return (
    <Card
      // Template texts are data in both languages (they name products): not checked as UI strings.
      title={<span translate="no">{summary.title}</span>}
      data-testid={`app-card-${summary.name}`}
      style={{ height: '100%' }}
      extra={
        <Button
          type="primary"
          size="small"
          disabled={!target || !app.data}
          onClick={() => setInstalling(true)}
          data-testid={`app-install-${summary.name}`}
        >
          {t('apps.card.install')}
        </Button>
      }
    >
      <Typography.Paragraph data-testid={`app-description-${summary.name}`} translate="no">
        {localized(summary.description, lang)}
      </Typography.Paragraph>
      <Space size={4} wrap style={{ marginBottom: 8 }}>
        <span>{t('apps.card.versions')}:</span>
        {summary.versions.map((v) => (
          <Tag key={v} color={v === summary.latest ? 'blue' : undefined}>
            {v}
            {v === summary.latest ? ` · ${t('apps.card.latest')}` : ''}
          </Tag>
        ))}
        {latest?.softwareVersion ? (
          <Typography.Text type="secondary">
            {t('apps.card.software')} <span translate="no">{latest.softwareVersion}</span>
          </Typography.Text>
        ) : null}
      </Space>
      {app.isPending ? <Skeleton active paragraph={{ rows: 1 }} title={false} /> : null}
      {latest ? (
        <>
          <div style={{ marginBottom: 8 }}>
            <Typography.Text type="secondary">{t('apps.card.creates')}: </Typography.Text>
            {[
              t('apps.card.createsServices', { count: latest.creates.services.length }),
              latest.creates.volumes.length
                ? t('apps.card.createsVolumes', { count: latest.creates.volumes.length })
                : null,
              latest.creates.secrets.length ? t('apps.card.createsSecrets') : null,
            ]
              .filter(Boolean)
              .join(', ')}
          </div>
          {latest.notes.map((n, i) => (
            <Tag
              key={i}
              color="gold"
              data-testid={`app-note-${summary.name}`}
              style={{ whiteSpace: 'normal' }}
              translate="no"
            >
              {localized(n, lang)}
            </Tag>
          ))}
        </>
      ) : null}
      {installing && app.data && target ? (
        <InstallAppModal
          app={app.data}
          project={target.project}
          env={target.env}
          onCancel={() => setInstalling(false)}
          onDone={(created) =>
            // The password travels to the instance page in the history state, shown there once.
            void navigate(`/p/${target.project}/${target.env}/apps/${created.name}`, {
              state: { password: created.password },
            })
          }
        />
      ) : null}
    </Card>
  );
}

/** The app store: every template with its versions and notes; Install into the current environment. */
export function AppCatalogPage() {
  const { t } = useI18n();
  const target = useTarget();
  const apps = useQuery({ queryKey: appKeys.catalog, queryFn: listApps });
  if (apps.isError) return <ErrorState error={apps.error} onRetry={() => void apps.refetch()} />;
  return (
    <div className="page" data-testid="app-catalog-page">
      <Typography.Title level={3}>{t('apps.catalog.title')}</Typography.Title>
      <Alert type="info" showIcon title={t('apps.catalog.help')} style={{ marginBottom: 12 }} />
      <AppImagesPanel />
      <Space style={{ marginBottom: 16 }} wrap>
        {target ? (
          <>
            <Typography.Text strong data-testid="app-catalog-target">
              {t('apps.catalog.target', { ...target })}
            </Typography.Text>
            <Link to={`/p/${target.project}/${target.env}/apps`} data-testid="app-catalog-instances">
              {t('apps.catalog.instances', { ...target })}
            </Link>
          </>
        ) : (
          <Typography.Text type="warning">{t('apps.catalog.noTarget')}</Typography.Text>
        )}
      </Space>
      {apps.isPending ? <Skeleton active /> : null}
      {apps.data?.length === 0 ? <Typography.Text>{t('apps.catalog.empty')}</Typography.Text> : null}
      <Row gutter={[16, 16]}>
        {(apps.data ?? []).map((a) => (
          <Col key={a.name} xs={24} md={12} xl={8}>
            <AppCard summary={a} target={target} />
          </Col>
        ))}
      </Row>
    </div>
  );
}
