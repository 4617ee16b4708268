import { Button, Card, Form, Input, InputNumber, Select, Space, Typography } from 'antd';
import { useI18n } from '../../i18n/I18nProvider';
import { useEnvServices } from './useEnvServices';

/**
 * Where the route sends traffic: a service of this env (its serving containers) and/or VM
 * addresses with weights. Either one, or both mixed in one upstream.
 */
export function BackendsSection({ project, env }: { project: string; env: string }) {
  const { t } = useI18n();
  const form = Form.useFormInstance();
  const services = useEnvServices(project, env);
  const chosen = Form.useWatch(['backends', 'service', 'name'], form) as string | undefined;
  const ports = services.data?.items.find((s) => s.name === chosen)?.spec.ports ?? [];
  return (
    <Card title={t('routes.form.backends')} size="small" style={{ marginBottom: 16 }}>
      <Typography.Paragraph type="secondary">{t('routes.form.backends.help')}</Typography.Paragraph>
      <Space wrap align="start" size="large">
        <Form.Item name={['backends', 'service', 'name']} label={t('routes.form.service')}>
          <Select
            id="route-service"
            allowClear
            showSearch
            style={{ width: 280 }}
            loading={services.isPending}
            placeholder={t('routes.form.service.placeholder')}
            options={(services.data?.items ?? []).map((s) => ({ value: s.name, label: s.name }))}
            notFoundContent={t('routes.form.service.none')}
          />
        </Form.Item>
        <Form.Item
          name={['backends', 'service', 'port']}
          label={t('routes.form.port')}
          extra={t('routes.form.port.help')}
        >
          <Select
            id="route-port"
            allowClear
            style={{ width: 200 }}
            disabled={!chosen}
            placeholder={t('routes.form.port.first')}
            options={ports.map((p) => ({ value: p.containerPort, label: String(p.containerPort) }))}
          />
        </Form.Item>
      </Space>
      <Typography.Paragraph strong style={{ marginBottom: 4 }}>
        {t('routes.form.servers')}
      </Typography.Paragraph>
      <Typography.Paragraph type="secondary">{t('routes.form.servers.help')}</Typography.Paragraph>
      <Form.List name={['backends', 'servers']}>
        {(fields, { add, remove }) => (
          <>
            {fields.map((field) => (
              <Space key={field.key} align="start" wrap>
                <Form.Item
                  name={[field.name, 'address']}
                  rules={[{ required: true, message: t('create.required') }]}
                >
                  <Input
                    placeholder="10.0.0.5:8080"
                    aria-label={t('routes.form.server.address')}
                    style={{ width: 220 }}
                  />
                </Form.Item>
                <Form.Item name={[field.name, 'weight']} initialValue={1}>
                  <InputNumber
                    min={1}
                    max={100}
                    prefix={t('routes.form.server.weight')}
                    aria-label={t('routes.form.server.weight')}
                    style={{ width: 170 }}
                  />
                </Form.Item>
                <Button onClick={() => remove(field.name)} aria-label={t('routes.form.remove')}>
                  {t('routes.form.remove')}
                </Button>
              </Space>
            ))}
            <Button onClick={() => add({ weight: 1 })} data-testid="route-add-server">
              {t('routes.form.server.add')}
            </Button>
          </>
        )}
      </Form.List>
    </Card>
  );
}
