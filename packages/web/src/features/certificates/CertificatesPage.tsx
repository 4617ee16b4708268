import { useState } from 'react';
import { Alert, App, Button, Form, Input, Popconfirm, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import type { Certificate } from '@berth/shared';
import { ErrorState, errorText } from '../../components/ErrorState';
import { formatDateTime } from '../../components/TimeText';
import { useI18n, type Translate } from '../../i18n/I18nProvider';
import { FormModal } from '../admin/FormModal';
import {
  certificateKeys,
  createCertificate,
  deleteCertificate,
  listCertificates,
  renewCertificate,
  type PemInput,
} from './certificates-api';
import { PemFields } from './PemFields';
import './strings';

const day = 86_400_000;

/** The expiry of a certificate: red when expired or within 14 days, orange within 30. */
export function ExpiryTag({ c, t, lang }: { c: Certificate; t: Translate; lang: string }) {
  const days = Math.floor((Date.parse(c.notAfter) - Date.now()) / day);
  const color = days < 14 ? 'red' : days < 30 ? 'orange' : 'green';
  return (
    <Space size={4}>
      <span>{formatDateTime(c.notAfter, lang)}</span>
      <Tag color={color}>{days < 0 ? t('certs.expired') : t('certs.daysLeft', { n: days })}</Tag>
    </Space>
  );
}

/** A project's certificates: list with expiry, names and use; upload, renew, delete. */
export function CertificatesPage() {
  const { project = '' } = useParams();
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [adding, setAdding] = useState(false);
  const [renewing, setRenewing] = useState<Certificate | null>(null);
  const certs = useQuery({
    queryKey: certificateKeys.list(project),
    queryFn: () => listCertificates(project),
  });
  const reload = () => void queryClient.invalidateQueries({ queryKey: certificateKeys.list(project) });
  const remove = useMutation({
    mutationFn: (c: Certificate) => deleteCertificate(project, c.name),
    onSuccess: (_r, c) => {
      void message.success(t('certs.removed', { name: c.name }));
      reload();
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  if (certs.isError) return <ErrorState error={certs.error} onRetry={() => void certs.refetch()} />;
  return (
    <div className="page" data-testid="certificates-page">
      <Typography.Title level={3}>
        {t('certs.title')} · {project}
      </Typography.Title>
      <Alert type="info" showIcon title={t('certs.help', { project })} style={{ marginBottom: 12 }} />
      <Space style={{ marginBottom: 12 }}>
        <Button type="primary" onClick={() => setAdding(true)} data-testid="add-certificate">
          {t('certs.add')}
        </Button>
      </Space>
      <Table<Certificate>
        rowKey="name"
        size="middle"
        data-testid="certificates-table"
        loading={certs.isPending}
        dataSource={certs.data?.items ?? []}
        pagination={false}
        locale={{ emptyText: t('certs.empty') }}
        columns={[
          { title: t('certs.col.name'), dataIndex: 'name' },
          {
            title: t('certs.col.sans'),
            render: (_v, c) => c.sans.map((s) => <Tag key={s}>{s}</Tag>),
          },
          { title: t('certs.col.expires'), render: (_v, c) => <ExpiryTag c={c} t={t} lang={lang} /> },
          {
            title: t('certs.col.usedBy'),
            render: (_v, c) =>
              c.usedBy.length === 0 ? (
                <Typography.Text type="secondary">{t('certs.unused')}</Typography.Text>
              ) : (
                c.usedBy.map((u) => (
                  <Tooltip key={`${u.env}/${u.route}`} title={u.host}>
                    <Tag color={u.covered ? undefined : 'red'}>
                      <Link to={`/p/${project}/${u.env}/routes/${u.route}`}>
                        {u.env}/{u.route}
                      </Link>
                      {u.covered ? '' : ` · ${t('certs.notCovered')}`}
                    </Tag>
                  </Tooltip>
                ))
              ),
          },
          { title: t('certs.col.issuer'), dataIndex: 'issuer', ellipsis: true },
          {
            title: t('certs.col.actions'),
            render: (_v, c) => (
              <Space>
                <Button
                  size="small"
                  onClick={() => setRenewing(c)}
                  data-testid={`renew-certificate-${c.name}`}
                >
                  {t('certs.renew')}
                </Button>
                <Popconfirm
                  title={t('certs.remove.confirm', { name: c.name })}
                  okText={t('common.confirm')}
                  cancelText={t('common.cancel')}
                  onConfirm={() => remove.mutate(c)}
                >
                  <Button size="small" danger data-testid={`remove-certificate-${c.name}`}>
                    {t('certs.remove')}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      {adding ? (
        <FormModal<PemInput & { name: string }>
          title={t('certs.add')}
          okText={t('certs.add')}
          testId="certificate-form"
          onSubmit={(v) =>
            createCertificate(project, { name: v.name.trim(), certificate: v.certificate, key: v.key })
          }
          onDone={() => {
            void message.success(t('certs.added'));
            setAdding(false);
            reload();
          }}
          onCancel={() => setAdding(false)}
        >
          {(form) => (
            <>
              <Form.Item
                name="name"
                label={t('certs.field.name')}
                rules={[{ required: true, whitespace: true, message: t('certs.field.name.required') }]}
              >
                <Input id="cert-name" placeholder="shop-example-com" />
              </Form.Item>
              <PemFields form={form} />
            </>
          )}
        </FormModal>
      ) : null}
      {renewing ? (
        <FormModal<PemInput>
          title={t('certs.renew.title', { name: renewing.name })}
          okText={t('certs.renew')}
          testId="renew-form"
          onSubmit={(v) =>
            renewCertificate(project, renewing.name, {
              certificate: v.certificate,
              key: v.key,
              version: renewing.version,
            })
          }
          onDone={() => {
            void message.success(t('certs.renewed', { name: renewing.name }));
            setRenewing(null);
            reload();
          }}
          onCancel={() => setRenewing(null)}
        >
          {(form) => <PemFields form={form} />}
        </FormModal>
      ) : null}
    </div>
  );
}
