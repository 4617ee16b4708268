import { Alert, Descriptions, Drawer, Skeleton, Tabs } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { ErrorState } from '../../components/ErrorState';
import { formatDateTime } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { DiffView } from './DiffView';
import { gatewayKey, getVersion } from './gateways-api';
import { VersionKindTag, VersionStateTag } from './VersionTags';
import { authorText, reasonText } from './version-reason';

/** One version: who, when, why, Nginx's refusal if any, its diff to the previous, its files. */
export function VersionDrawer({
  gateway,
  n,
  onClose,
}: {
  gateway: string;
  n: number | null;
  onClose: () => void;
}) {
  const { t, lang } = useI18n();
  const version = useQuery({
    queryKey: [...gatewayKey(gateway), 'version', n],
    queryFn: () => getVersion(gateway, n ?? 0),
    enabled: n !== null,
    staleTime: Infinity,
  });
  const v = version.data;
  const file = (text: string | null | undefined) =>
    text ? (
      <pre className="config-file">{text}</pre>
    ) : (
      <Alert type="info" title={t('gateways.version.noFile')} />
    );
  return (
    <Drawer
      open={n !== null}
      onClose={onClose}
      size="min(1100px, 100vw)"
      title={n !== null ? t('gateways.version.title', { number: n }) : ''}
      data-testid="version-drawer"
    >
      {version.isPending ? <Skeleton active /> : null}
      {version.isError ? <ErrorState error={version.error} onRetry={() => void version.refetch()} /> : null}
      {v ? (
        <>
          <Descriptions size="small" column={2} style={{ marginBottom: 12 }}>
            <Descriptions.Item label={t('gateways.version.kind')}>
              <VersionKindTag kind={v.kind} />
            </Descriptions.Item>
            <Descriptions.Item label={t('gateways.version.state')}>
              <VersionStateTag state={v.state} />
            </Descriptions.Item>
            <Descriptions.Item label={t('gateways.version.author')}>
              {authorText(t, v.author)}
            </Descriptions.Item>
            <Descriptions.Item label={t('gateways.version.time')}>
              {formatDateTime(v.createdAt, lang)}
            </Descriptions.Item>
            <Descriptions.Item label={t('gateways.version.reason')} span={2}>
              {reasonText(t, v.reason)}
            </Descriptions.Item>
          </Descriptions>
          {v.error ? (
            <Alert
              type="error"
              showIcon
              style={{ marginBottom: 12 }}
              title={t('gateways.version.refused')}
              description={<pre className="config-file">{v.error}</pre>}
            />
          ) : null}
          <Tabs
            items={[
              {
                key: 'diff',
                label: t('gateways.version.diffPrevious'),
                children: (
                  <DiffView
                    diff={v.diff ?? ''}
                    from={t('gateways.version.previous')}
                    to={t('gateways.diff.side', { version: v.number })}
                  />
                ),
              },
              { key: 'main', label: 'nginx.conf', children: file(v.config) },
              { key: 'upstreams', label: 'upstreams.conf', children: file(v.endpoints) },
            ]}
          />
        </>
      ) : null}
    </Drawer>
  );
}
