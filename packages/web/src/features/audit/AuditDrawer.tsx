import { Descriptions, Drawer, Tag, Typography } from 'antd';
import { Link } from 'react-router-dom';
import type { AuditEvent } from '@berth/shared';
import { formatDateTime } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { shellSessionOf } from './audit-api';
import { AuditTarget, actorLabel } from './audit-labels';

export const resultColors: Record<AuditEvent['result'], string> = {
  success: 'success',
  denied: 'warning',
  failure: 'error',
};

/** One event in full: the request as recorded (secrets already redacted by the server). */
export function AuditDrawer({ event, onClose }: { event: AuditEvent; onClose: () => void }) {
  const { t, lang } = useI18n();
  const session = shellSessionOf(event);
  return (
    <Drawer open size="large" title={t('audit.detail.title')} onClose={onClose} data-testid="audit-drawer">
      <Descriptions size="small" column={1} bordered>
        <Descriptions.Item label={t('audit.at')}>{formatDateTime(event.at, lang)}</Descriptions.Item>
        <Descriptions.Item label={t('audit.actor')}>{actorLabel(t, event.actor)}</Descriptions.Item>
        <Descriptions.Item label={t('audit.action')}>
          <Typography.Text code>{event.action}</Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('audit.target')}>
          <AuditTarget t={t} kind={event.targetKind} target={event.target} />
        </Descriptions.Item>
        <Descriptions.Item label={t('audit.project')}>{event.project ?? t('common.none')}</Descriptions.Item>
        <Descriptions.Item label={t('audit.result')}>
          <Tag color={resultColors[event.result]}>{t(`audit.result.${event.result}`)}</Tag> {event.statusCode}
        </Descriptions.Item>
        <Descriptions.Item label={t('audit.source')}>{event.sourceIp}</Descriptions.Item>
        {event.message ? (
          <Descriptions.Item label={t('audit.detail.message')}>
            <span translate="no">{event.message}</span>
          </Descriptions.Item>
        ) : null}
      </Descriptions>
      {session ? (
        <Link
          to={`/audit/sessions/${session}`}
          data-testid="open-recording"
          style={{ display: 'inline-block', marginTop: 16 }}
        >
          {t('audit.detail.recording')}
        </Link>
      ) : null}
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('audit.detail.request')}
      </Typography.Title>
      {event.request ? (
        <pre className="audit-request" data-testid="audit-request">
          {JSON.stringify(event.request, null, 2)}
        </pre>
      ) : (
        <Typography.Text type="secondary">{t('audit.detail.noRequest')}</Typography.Text>
      )}
      <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
        {t('audit.detail.redacted')}
      </Typography.Paragraph>
    </Drawer>
  );
}
