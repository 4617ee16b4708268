import { Alert, Breadcrumb, Card, Descriptions, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { ErrorState } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { formatDateTime } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { getShellSession } from './audit-api';
import { RecordingPlayer } from './RecordingPlayer';
import './audit.css';

/** One recorded web-shell session: who, where, as whom, and the replay. */
export function ShellRecordingPage() {
  const { t, lang } = useI18n();
  const { id = '' } = useParams();
  const session = useQuery({ queryKey: ['shell-session', id], queryFn: () => getShellSession(id) });
  if (session.isPending) return <PageSkeleton />;
  if (session.isError) return <ErrorState error={session.error} onRetry={() => void session.refetch()} />;
  const s = session.data;
  const where = s.project ? `${s.project} / ${s.env} / ${s.service}` : t('replay.serviceGone');
  return (
    <>
      <Breadcrumb
        style={{ marginBottom: 12 }}
        items={[{ title: <Link to="/audit">{t('audit.title')}</Link> }, { title: t('replay.title') }]}
      />
      <Card>
        <Descriptions size="small" column={{ xs: 1, md: 3 }} style={{ marginBottom: 12 }}>
          <Descriptions.Item label={t('audit.actor')}>{s.actor}</Descriptions.Item>
          <Descriptions.Item label={t('replay.service')}>{where}</Descriptions.Item>
          <Descriptions.Item label={t('replay.container')}>
            <Typography.Text code>{s.container}</Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('replay.user')}>
            <Typography.Text code>{s.user}</Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('replay.started')}>
            {formatDateTime(s.startedAt, lang)}
          </Descriptions.Item>
          <Descriptions.Item label={t('replay.ended')}>
            {s.endedAt
              ? `${formatDateTime(s.endedAt, lang)}${s.exitCode !== null ? ` (${t('replay.exit', { code: s.exitCode })})` : ''}`
              : t('replay.open')}
          </Descriptions.Item>
        </Descriptions>
        {s.recording?.length ? (
          <RecordingPlayer events={s.recording} />
        ) : (
          <Alert type="info" showIcon title={t('replay.empty')} />
        )}
      </Card>
    </>
  );
}
