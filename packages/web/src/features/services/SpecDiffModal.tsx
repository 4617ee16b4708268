import { useState } from 'react';
import { Alert, Input, Modal, Table, Typography } from 'antd';
import { useI18n } from '../../i18n/I18nProvider';
import type { SpecChange, SpecDiff } from './spec-diff';

/** data-* attributes for antd's button props, whose type does not list them. */
const testId = (id: string): Record<string, string> => ({ 'data-testid': id });

/**
 * "What will change": the spec diff, field by field (old → new), and whether deploying it makes
 * a new release (a rolling update) or only scales. Confirming passes the optional reason on.
 */
export function SpecDiffModal(props: {
  diff: SpecDiff;
  deploying: boolean;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
}) {
  const { diff, deploying, onConfirm, onCancel } = props;
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const nothing = diff.changes.length === 0;
  const value = (v: string | null) =>
    v === null ? (
      <Typography.Text type="secondary">{t('svc.diff.absent')}</Typography.Text>
    ) : (
      <Typography.Text code style={{ wordBreak: 'break-all' }}>
        {v}
      </Typography.Text>
    );
  return (
    <Modal
      open
      width={860}
      title={t('svc.diff.title')}
      okText={t('svc.diff.deploy')}
      cancelText={t('common.cancel')}
      okButtonProps={{ disabled: nothing, loading: deploying, ...testId('diff-confirm') }}
      onOk={() => onConfirm(reason.trim())}
      onCancel={onCancel}
    >
      <div data-testid="spec-diff">
        <Alert
          style={{ marginBottom: 12 }}
          showIcon
          data-testid="diff-kind"
          type={nothing ? 'info' : diff.newRelease ? 'warning' : 'success'}
          title={
            nothing
              ? t('svc.diff.nothing')
              : diff.newRelease
                ? t('svc.diff.rolling')
                : t('svc.diff.scaleOnly')
          }
        />
        {nothing ? null : (
          <Table<SpecChange>
            rowKey="path"
            size="small"
            pagination={false}
            dataSource={diff.changes}
            scroll={{ y: 360 }}
            columns={[
              {
                key: 'path',
                title: t('svc.diff.field'),
                width: 220,
                render: (_, c) => <Typography.Text strong>{c.path}</Typography.Text>,
              },
              { key: 'before', title: t('svc.diff.before'), render: (_, c) => value(c.before) },
              { key: 'after', title: t('svc.diff.after'), render: (_, c) => value(c.after) },
            ]}
          />
        )}
        {nothing ? null : (
          <Input
            style={{ marginTop: 12 }}
            maxLength={500}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder={t('svc.diff.reason')}
            aria-label={t('svc.diff.reason')}
            data-testid="diff-reason"
          />
        )}
      </div>
    </Modal>
  );
}
