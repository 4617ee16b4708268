import { useState } from 'react';
import { Alert, App, Button, Card, Form, Input, Select, Space, Typography } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { snippetDirectives, type Gateway } from '@berth/shared';
import { isApiError } from '../../api/errors';
import { errorText } from '../../components/ErrorState';
import { placeFieldErrors } from '../../components/form-errors';
import { useI18n } from '../../i18n/I18nProvider';
import { gatewayKey, setSnippets } from './gateways-api';
import { fromRows, snippetFieldFor, toRows, type SnippetRow } from './snippet-rows';

type Context = 'http' | 'server';
interface SnippetsForm {
  http: SnippetRow[];
  server: SnippetRow[];
  reason?: string;
}

const names = Object.keys(snippetDirectives).sort();

function SnippetList({ context }: { context: Context }) {
  const { t } = useI18n();
  const form = Form.useFormInstance<SnippetsForm>();
  const rows = (Form.useWatch(context, form) as SnippetRow[] | undefined) ?? [];
  const options = names
    .filter((n) => snippetDirectives[n]?.contexts.includes(context))
    .map((n) => ({ value: n, label: n }));
  return (
    <Card size="small" title={t(`gateways.snippets.${context}`)} style={{ marginBottom: 16 }}>
      <Form.List name={context}>
        {(fields, { add, remove }) => (
          <>
            {fields.map((field) => {
              const directive = rows[field.name]?.directive;
              const help = directive ? snippetDirectives[directive]?.help : undefined;
              return (
                <Space key={field.key} align="start" wrap>
                  <Form.Item
                    name={[field.name, 'directive']}
                    rules={[{ required: true, message: t('create.required') }]}
                  >
                    <Select
                      showSearch
                      options={options}
                      style={{ width: 260 }}
                      aria-label={t('gateways.snippets.directive')}
                      placeholder={t('gateways.snippets.directive')}
                    />
                  </Form.Item>
                  <Form.Item name={[field.name, 'args']} extra={help}>
                    <Select
                      mode="tags"
                      open={false}
                      suffixIcon={null}
                      style={{ width: 420 }}
                      aria-label={t('gateways.snippets.args')}
                      placeholder={t('gateways.snippets.args.placeholder')}
                    />
                  </Form.Item>
                  <Button onClick={() => remove(field.name)}>{t('routes.form.remove')}</Button>
                </Space>
              );
            })}
            <Button onClick={() => add({ args: [] })} data-testid={`add-snippet-${context}`}>
              {t('gateways.snippets.add')}
            </Button>
          </>
        )}
      </Form.List>
    </Card>
  );
}

/**
 * The vetted directives a platform admin adds to a gateway's configuration: only directives of
 * the allowlist, each argument checked; Nginx validates the result before it is applied.
 */
export function SnippetsTab({ gateway }: { gateway: Gateway }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<SnippetsForm>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ title: string; detail: string | null } | null>(null);
  const snippets = gateway.snippets ?? { http: [], server: [] };

  const save = async (v: SnippetsForm) => {
    setBusy(true);
    setProblem(null);
    try {
      const r = await setSnippets(gateway.name, {
        version: gateway.version,
        reason: v.reason?.trim() || undefined,
        http: fromRows(v.http),
        server: fromRows(v.server),
      });
      void message.success(
        r.gatewayVersion
          ? t('gateways.snippets.saved.version', { version: r.gatewayVersion.number })
          : t('gateways.snippets.saved'),
      );
      await queryClient.invalidateQueries({ queryKey: gatewayKey(gateway.name) });
    } catch (err) {
      placeFieldErrors(form, err, snippetFieldFor);
      const nginx = isApiError(err) && typeof err.details.nginx === 'string' ? err.details.nginx : null;
      setProblem({ title: nginx ? t('gateways.snippets.refused') : errorText(t, err), detail: nginx });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Form<SnippetsForm>
      form={form}
      layout="vertical"
      initialValues={{ http: toRows(snippets.http), server: toRows(snippets.server) }}
      onFinish={(v) => void save(v)}
    >
      <Typography.Paragraph type="secondary">{t('gateways.snippets.intro')}</Typography.Paragraph>
      {problem ? (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 16 }}
          data-testid="snippets-error"
          title={problem.title}
          description={problem.detail ? <pre className="config-file">{problem.detail}</pre> : undefined}
        />
      ) : null}
      <SnippetList context="http" />
      <SnippetList context="server" />
      <Card size="small">
        <Form.Item name="reason" label={t('routes.form.reason')}>
          <Input id="snippets-reason" maxLength={500} style={{ maxWidth: 640 }} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy} data-testid="snippets-save">
          {t('gateways.snippets.save')}
        </Button>
      </Card>
    </Form>
  );
}
