import { Form, Input, InputNumber, Select, Typography } from 'antd';
import { channelKinds, smtpTlsModes, type ChannelKind, type ChannelView } from '@berth/shared';
import { useI18n } from '../../i18n/I18nProvider';
import { FormModal } from '../admin/FormModal';
import { createChannel, updateChannel } from './alerts-api';
import './strings';

/** The form's fields mirror the API's (settings.url errors land on the URL field). */
interface ChannelFormValues {
  name: string;
  description?: string;
  rateLimitPerMinute?: number;
  settings: {
    kind: ChannelKind;
    url?: string;
    secret?: string;
    msgType?: 'interactive' | 'text';
    host?: string;
    port?: number;
    tls?: string;
    user?: string;
    password?: string;
    from?: string;
    to?: string[];
    caCertificate?: string;
  };
}

const blank = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());

/** Create or edit a channel: fields per kind; secrets are write-only (empty keeps them on edit). */
export function ChannelFormModal({
  project,
  channel,
  onDone,
  onCancel,
}: {
  project: string;
  channel: ChannelView | null;
  onDone: (name: string) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const required = [{ required: true, message: t('ch.form.required') }];
  const initial: ChannelFormValues = {
    name: channel?.name ?? '',
    description: channel?.description ?? '',
    rateLimitPerMinute: channel?.rateLimitPerMinute ?? 20,
    settings: {
      kind: channel?.kind ?? 'webhook',
      msgType: 'interactive',
      tls: 'starttls',
      port: 587,
      ...(channel?.settings as Partial<ChannelFormValues['settings']> | undefined),
    },
  };
  let saved = initial.name;
  const submit = async (v: ChannelFormValues) => {
    const s = v.settings;
    const settings: Record<string, unknown> =
      s.kind === 'email'
        ? {
            kind: s.kind,
            host: blank(s.host),
            port: s.port,
            tls: s.tls,
            user: blank(s.user),
            password: blank(s.password),
            from: blank(s.from),
            to: s.to ?? [],
            // an internal CA or a self-signed server certificate to trust (starttls, tls)
            caCertificate: s.tls === 'none' ? undefined : blank(s.caCertificate),
          }
        : {
            kind: s.kind,
            url: blank(s.url),
            ...(s.kind === 'webhook' || s.kind === 'dingtalk' || s.kind === 'feishu'
              ? { secret: blank(s.secret) }
              : {}),
            ...(s.kind === 'feishu' ? { msgType: s.msgType } : {}),
          };
    const common = { description: v.description ?? '', rateLimitPerMinute: v.rateLimitPerMinute };
    if (channel) await updateChannel(project, channel.name, { ...common, settings } as never);
    else await createChannel(project, { name: v.name, ...common, settings } as never);
    saved = channel?.name ?? v.name;
  };
  const keep = (which: 'url' | 'secret' | 'password') =>
    channel?.secrets[which] ? t(which === 'url' ? 'ch.form.urlKeep' : 'ch.form.secretKeep') : undefined;
  return (
    <FormModal<ChannelFormValues>
      title={channel ? t('ch.form.editTitle', { name: channel.name }) : t('ch.form.createTitle')}
      okText={channel ? t('ch.form.save') : t('ch.add')}
      testId="channel-form"
      initialValues={initial}
      onSubmit={submit}
      onDone={() => onDone(saved)}
      onCancel={onCancel}
    >
      {(form) => (
        <>
          <Form.Item name="name" label={t('ch.form.name')} rules={required}>
            <Input disabled={channel !== null} data-testid="channel-name" />
          </Form.Item>
          <Form.Item name={['settings', 'kind']} label={t('ch.form.kind')}>
            <Select
              disabled={channel !== null}
              data-testid="channel-kind"
              options={channelKinds.map((k) => ({ value: k, label: k }))}
            />
          </Form.Item>
          <Form.Item noStyle shouldUpdate>
            {() => {
              const kind = form.getFieldValue(['settings', 'kind']) as ChannelKind;
              if (kind === 'email')
                return (
                  <>
                    <Form.Item name={['settings', 'host']} label={t('ch.form.host')} rules={required}>
                      <Input data-testid="channel-host" />
                    </Form.Item>
                    <Form.Item name={['settings', 'port']} label={t('ch.form.port')} rules={required}>
                      <InputNumber min={1} max={65535} data-testid="channel-port" />
                    </Form.Item>
                    <Form.Item name={['settings', 'tls']} label={t('ch.form.tls')}>
                      <Select
                        data-testid="channel-tls"
                        options={smtpTlsModes.map((m) => ({ value: m, label: m }))}
                      />
                    </Form.Item>
                    <Form.Item
                      name={['settings', 'caCertificate']}
                      label={t('ch.form.caCertificate')}
                      extra={t('ch.form.caCertificate.help')}
                    >
                      <Input.TextArea
                        rows={3}
                        data-testid="channel-ca"
                        placeholder="-----BEGIN CERTIFICATE-----"
                        spellCheck={false}
                      />
                    </Form.Item>
                    <Form.Item name={['settings', 'user']} label={t('ch.form.user')}>
                      <Input autoComplete="off" />
                    </Form.Item>
                    <Form.Item name={['settings', 'password']} label={t('ch.form.password')}>
                      <Input.Password autoComplete="new-password" placeholder={keep('password')} />
                    </Form.Item>
                    <Form.Item name={['settings', 'from']} label={t('ch.form.from')} rules={required}>
                      <Input data-testid="channel-from" />
                    </Form.Item>
                    <Form.Item name={['settings', 'to']} label={t('ch.form.to')} rules={required}>
                      <Select
                        mode="tags"
                        data-testid="channel-to"
                        tokenSeparators={[',', ' ']}
                        open={false}
                      />
                    </Form.Item>
                  </>
                );
              const signed = kind === 'webhook' || kind === 'dingtalk' || kind === 'feishu';
              return (
                <>
                  <Typography.Paragraph type="secondary">
                    {t(
                      kind === 'webhook'
                        ? 'ch.form.hint.webhook'
                        : kind === 'dingtalk'
                          ? 'ch.form.hint.dingtalk'
                          : kind === 'feishu'
                            ? 'ch.form.hint.feishu'
                            : 'ch.form.hint.other',
                    )}
                  </Typography.Paragraph>
                  <Form.Item
                    name={['settings', 'url']}
                    label={t('ch.form.url')}
                    rules={channel?.secrets.url ? [] : required}
                  >
                    <Input data-testid="channel-url" placeholder={keep('url') ?? 'https://'} />
                  </Form.Item>
                  {signed ? (
                    <Form.Item
                      name={['settings', 'secret']}
                      label={t('ch.form.secret')}
                      rules={kind === 'webhook' && !channel?.secrets.secret ? required : []}
                    >
                      <Input.Password
                        data-testid="channel-secret"
                        autoComplete="new-password"
                        placeholder={keep('secret')}
                      />
                    </Form.Item>
                  ) : null}
                  {kind === 'feishu' ? (
                    <Form.Item name={['settings', 'msgType']} label={t('ch.form.msgType')}>
                      <Select
                        options={[
                          { value: 'interactive', label: 'interactive' },
                          { value: 'text', label: 'text' },
                        ]}
                      />
                    </Form.Item>
                  ) : null}
                </>
              );
            }}
          </Form.Item>
          <Form.Item name="rateLimitPerMinute" label={t('ch.form.rate')}>
            <InputNumber min={1} max={600} data-testid="channel-rate" />
          </Form.Item>
          <Form.Item name="description" label={t('ch.form.description')}>
            <Input />
          </Form.Item>
        </>
      )}
    </FormModal>
  );
}
