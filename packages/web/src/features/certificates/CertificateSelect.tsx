import { Alert, Form, Select, Space, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { hostCovered } from '@berth/shared';
import { useI18n } from '../../i18n/I18nProvider';
import { certificateKeys, listCertificates } from './certificates-api';
import './strings';

/**
 * The route form's TLS field: a certificate of the route's project, by name (`tls.certificate`).
 * A route an admin gave files of the shared directory (`tls.key` set) keeps them until a
 * certificate is picked here.
 */
export function CertificateSelect({ project, env }: { project: string; env: string }) {
  const { t } = useI18n();
  const form = Form.useFormInstance();
  const legacyKey = Form.useWatch(['tls', 'key'], form) as string | undefined;
  const host = (Form.useWatch('host', form) as string | undefined) ?? '';
  const certs = useQuery({
    queryKey: certificateKeys.list(project),
    queryFn: () => listCertificates(project),
  });
  const items = certs.data?.items ?? [];
  return (
    <>
      {legacyKey ? (
        <Alert type="warning" showIcon title={t('certs.select.legacy')} style={{ marginBottom: 12 }} />
      ) : null}
      <Form.Item name={['tls', 'key']} hidden noStyle />
      <Form.Item
        name={['tls', 'certificate']}
        label={t('routes.form.tls.certificate')}
        extra={
          <Space>
            {items.length === 0 && !certs.isPending ? t('certs.select.none') : null}
            <Link to={`/p/${project}/${env}/certificates`}>{t('certs.select.manage')}</Link>
          </Space>
        }
      >
        <Select
          id="route-tls-cert"
          data-testid="route-tls-cert"
          allowClear
          loading={certs.isPending}
          placeholder={t('certs.select.placeholder')}
          style={{ width: 420 }}
          onChange={() => form.setFieldValue(['tls', 'key'], undefined)}
          options={items.map((c) => ({
            value: c.name,
            label: (
              <span>
                {c.name}{' '}
                <Typography.Text type={host && !hostCovered(host, c.sans) ? 'danger' : 'secondary'}>
                  ({c.sans.join(', ')})
                </Typography.Text>
              </span>
            ),
          }))}
        />
      </Form.Item>
    </>
  );
}
