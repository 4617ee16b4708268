import { useRef, useState } from 'react';
import {
  Alert,
  App,
  AutoComplete,
  Button,
  Card,
  Checkbox,
  Col,
  Form,
  Input,
  InputNumber,
  Radio,
  Row,
  Select,
  Space,
  Tag,
  Typography,
} from 'antd';
import type { Rule } from 'antd/es/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { defaultStartCommand, pipelineTemplates, type Pipeline, type PipelineTemplate } from '@berth/shared';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { isApiError } from '../../api/errors';
import { listEnvs, listServices } from '../../api/resources';
import { ErrorState, errorText } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { useI18n } from '../../i18n/I18nProvider';
import { TemplateName } from './build-view';
import { DockerfilePanel } from './DockerfilePanel';
import {
  pipelineFieldFor,
  switchTemplate,
  templateUses,
  toCreateRequest,
  toFormValues,
  toUpdateRequest,
  type PipelineFormValues,
} from './pipeline-form';
import { createPipeline, getPipeline, pipelineKeys, updatePipeline } from './pipelines-api';
import { WebhookPanel } from './WebhookPanel';
import './pipelines.css';
import './strings';

const namePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Create (`…/pipelines/new`) or edit (`…/pipelines/:pipeline/edit`) a pipeline. */
export function PipelineFormPage() {
  const { project = '', env = '', pipeline = '' } = useParams();
  const { t } = useI18n();
  const existing = useQuery({
    queryKey: pipelineKeys.one(project, pipeline),
    queryFn: () => getPipeline(project, pipeline),
    enabled: Boolean(pipeline),
  });
  const back = pipeline ? `/p/${project}/${env}/pipelines/${pipeline}` : `/p/${project}/${env}/pipelines`;
  return (
    <>
      <div className="page-head">
        <Typography.Title level={4} style={{ margin: 0 }}>
          {pipeline ? t('pipelines.form.editTitle', { pipeline }) : t('pipelines.form.createTitle')} ·{' '}
          {project}
        </Typography.Title>
        <Link to={back}>{t('pipelines.back')}</Link>
      </div>
      {pipeline && existing.isPending ? <PageSkeleton /> : null}
      {existing.isError ? (
        <ErrorState error={existing.error} onRetry={() => void existing.refetch()} />
      ) : null}
      {!pipeline || existing.data ? (
        <Row gutter={16}>
          <Col xs={24} xl={existing.data ? 15 : 24}>
            <PipelineForm project={project} env={env} existing={existing.data ?? null} />
          </Col>
          {existing.data ? (
            <Col xs={24} xl={9}>
              <DockerfilePanel pipeline={existing.data} />
              <WebhookPanel pipeline={existing.data} />
            </Col>
          ) : null}
        </Row>
      ) : null}
    </>
  );
}

function PipelineForm({
  project,
  env,
  existing,
}: {
  project: string;
  env: string;
  existing: Pipeline | null;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<PipelineFormValues>();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ text: string; unplaced: string[] } | null>(null);
  const initial = toFormValues(existing, env);
  const template = Form.useWatch('template', form) ?? initial.template;
  const credKind = Form.useWatch('credKind', form) ?? initial.credKind;
  const replaceCredentials = Form.useWatch('replaceCredentials', form) ?? initial.replaceCredentials;
  const targetEnv = Form.useWatch('targetEnv', form) ?? initial.targetEnv;
  const lastTemplate = useRef<PipelineTemplate>(initial.template);
  const uses = templateUses(template);
  const stored = existing?.repo.credentials;
  const keepsStored = Boolean(stored?.isSet && !replaceCredentials && credKind === stored.kind);

  const envs = useQuery({ queryKey: ['envs'], queryFn: listEnvs });
  const services = useQuery({
    queryKey: ['services', project, targetEnv, 'names'],
    queryFn: () => listServices(project, targetEnv, { limit: 500 }),
    enabled: Boolean(targetEnv),
  });

  const submit = async () => {
    // The whole store: fields hidden by the template or the credential kind keep their values.
    const values = { ...initial, ...(form.getFieldsValue(true) as Partial<PipelineFormValues>) };
    setBusy(true);
    setProblem(null);
    try {
      const saved = existing
        ? await updatePipeline(project, existing.name, toUpdateRequest(values, existing))
        : await createPipeline(project, toCreateRequest(values));
      await queryClient.invalidateQueries({ queryKey: pipelineKeys.all(project) });
      void message.success(t('pipelines.saved', { pipeline: saved.name }));
      void navigate(`/p/${project}/${env}/pipelines/${saved.name}`);
    } catch (err) {
      const unplaced: string[] = [];
      if (isApiError(err) && err.fields.length) {
        const byField = new Map<keyof PipelineFormValues, string[]>();
        for (const f of err.fields) {
          const name = pipelineFieldFor(f.path);
          if (name) byField.set(name, [...(byField.get(name) ?? []), f.message]);
          else unplaced.push(`${f.path}: ${f.message}`);
        }
        form.setFields([...byField].map(([name, errors]) => ({ name, errors })));
      }
      setProblem({ text: errorText(t, err), unplaced });
      window.scrollTo({ top: 0 });
    } finally {
      setBusy(false);
    }
  };

  const onValuesChange = (changed: Partial<PipelineFormValues>) => {
    if (changed.template && changed.template !== lastTemplate.current) {
      form.setFieldsValue(switchTemplate(form.getFieldsValue(), lastTemplate.current, changed.template));
      lastTemplate.current = changed.template;
    }
  };

  const required = { required: true, message: t('create.required') };
  return (
    <>
      {problem ? (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 16 }}
          data-testid="pipeline-error"
          title={problem.text}
          description={problem.unplaced.length ? problem.unplaced.join('\n') : undefined}
        />
      ) : null}
      <Form<PipelineFormValues>
        form={form}
        layout="vertical"
        initialValues={initial}
        onFinish={() => void submit()}
        onValuesChange={onValuesChange}
        scrollToFirstError
      >
        <Card title={t('pipelines.form.basics')} size="small" style={{ marginBottom: 16 }}>
          <Space wrap align="start" size="large">
            <Form.Item
              name="name"
              label={t('pipelines.form.name')}
              extra={existing ? undefined : t('create.name.help')}
              rules={[required, { pattern: namePattern, max: 63, message: t('create.name.invalid') }]}
            >
              <Input id="pipeline-name" style={{ width: 220 }} disabled={Boolean(existing)} />
            </Form.Item>
            <Form.Item name="targetEnv" label={t('pipelines.form.targetEnv')} rules={[required]}>
              <Select
                id="pipeline-target-env"
                style={{ width: 160 }}
                loading={envs.isPending}
                options={(envs.data?.items ?? [{ name: env, displayName: env }]).map((e) => ({
                  value: e.name,
                  label: e.displayName || e.name,
                }))}
              />
            </Form.Item>
            <Form.Item
              name="targetService"
              label={t('pipelines.form.targetService')}
              extra={t('pipelines.form.targetService.help')}
              rules={[required]}
            >
              <AutoComplete
                id="pipeline-target-service"
                style={{ width: 240 }}
                options={(services.data?.items ?? []).map((s) => ({ value: s.name }))}
                filterOption={(input, option) => String(option?.value ?? '').includes(input)}
              />
            </Form.Item>
          </Space>
        </Card>

        <Card title={t('pipelines.form.repo')} size="small" style={{ marginBottom: 16 }}>
          <Form.Item
            name="repoUrl"
            label={t('pipelines.form.repoUrl')}
            extra={t('pipelines.form.repoUrl.help')}
            rules={[required]}
          >
            <Input id="pipeline-repo-url" placeholder="https://git.example.com/team/app.git" />
          </Form.Item>
          <Form.Item
            name="repoRef"
            label={t('pipelines.form.ref')}
            extra={t('pipelines.form.ref.help')}
            rules={[required]}
          >
            <Input id="pipeline-repo-ref" style={{ width: 280 }} placeholder="main" />
          </Form.Item>
          <Form.Item
            name="credKind"
            label={
              <Space>
                {t('pipelines.form.credentials')}
                {stored?.isSet ? (
                  <Tag color="green" data-testid="credentials-set">
                    {t('pipelines.form.credentials.set', { kind: t(`pipelines.cred.${stored.kind}`) })}
                  </Tag>
                ) : null}
              </Space>
            }
          >
            <Radio.Group optionType="button">
              <Radio.Button value="none">{t('pipelines.cred.none')}</Radio.Button>
              <Radio.Button value="token">{t('pipelines.cred.token')}</Radio.Button>
              <Radio.Button value="deploy-key">{t('pipelines.cred.deploy-key')}</Radio.Button>
            </Radio.Group>
          </Form.Item>
          {stored?.isSet && credKind === stored.kind ? (
            <Form.Item name="replaceCredentials" valuePropName="checked">
              <Checkbox>{t('pipelines.form.credentials.replace')}</Checkbox>
            </Form.Item>
          ) : null}
          {credKind === 'token' && !keepsStored ? (
            <Space wrap align="start" size="large">
              <Form.Item
                name="credUsername"
                label={t('pipelines.form.cred.username')}
                extra={t('pipelines.form.cred.username.help')}
              >
                <Input
                  id="pipeline-cred-username"
                  style={{ width: 200 }}
                  placeholder="oauth2"
                  autoComplete="off"
                />
              </Form.Item>
              <Form.Item name="credToken" label={t('pipelines.form.cred.token')} rules={[required]}>
                <Input.Password id="pipeline-cred-token" style={{ width: 320 }} autoComplete="new-password" />
              </Form.Item>
            </Space>
          ) : null}
          {credKind === 'deploy-key' && !keepsStored ? (
            <Form.Item
              name="credKey"
              label={t('pipelines.form.cred.key')}
              extra={t('pipelines.form.cred.key.help')}
              rules={[required]}
            >
              <Input.TextArea
                id="pipeline-cred-key"
                className="script-input masked-input"
                rows={4}
                autoComplete="off"
                spellCheck={false}
              />
            </Form.Item>
          ) : null}
        </Card>

        <Card title={t('pipelines.form.build')} size="small" style={{ marginBottom: 16 }}>
          <Form.Item
            name="template"
            label={t('pipelines.form.template')}
            extra={t(`pipelines.template.${template}.help`)}
          >
            <Radio.Group optionType="button" data-testid="pipeline-template">
              {pipelineTemplates.map((tpl) => (
                <Radio.Button key={tpl} value={tpl}>
                  <TemplateName template={tpl} />
                </Radio.Button>
              ))}
            </Radio.Group>
          </Form.Item>
          {uses.scripts ? (
            <>
              <ScriptItem name="preScript" id="pipeline-pre-script" rows={5} />
              <ScriptItem name="buildScript" id="pipeline-build-script" rows={4} />
              <Space wrap align="start" size="large">
                <Form.Item
                  name="artifactPath"
                  label={t('pipelines.form.artifactPath')}
                  extra={t('pipelines.form.artifactPath.help')}
                >
                  <Input id="pipeline-artifact" style={{ width: 240 }} />
                </Form.Item>
                {uses.startCommand ? (
                  <Form.Item
                    name="startCommand"
                    label={t('pipelines.form.startCommand')}
                    extra={t('pipelines.form.startCommand.help')}
                  >
                    <Input
                      id="pipeline-start"
                      style={{ width: 360 }}
                      className="script-input"
                      placeholder={defaultStartCommand[template]}
                    />
                  </Form.Item>
                ) : null}
              </Space>
            </>
          ) : null}
          {uses.dockerfile ? (
            <ScriptItem name="dockerfile" id="pipeline-dockerfile" rows={10} rules={[required]} />
          ) : null}
          <Space wrap align="start" size="large">
            <Form.Item
              name="port"
              label={t('pipelines.form.port')}
              extra={t('pipelines.form.port.help')}
              rules={[required]}
            >
              <InputNumber id="pipeline-port" min={1} max={65535} />
            </Form.Item>
            <Form.Item
              name="timeoutSeconds"
              label={t('pipelines.form.timeout')}
              extra={t('pipelines.form.timeout.help')}
              rules={[required]}
            >
              <InputNumber id="pipeline-timeout" min={10} max={7200} suffix="s" />
            </Form.Item>
          </Space>
        </Card>
        <Space>
          <Button type="primary" htmlType="submit" loading={busy} data-testid="pipeline-submit">
            {existing ? t('pipelines.form.save') : t('pipelines.form.create')}
          </Button>
          <Button
            onClick={() =>
              void navigate(
                existing
                  ? `/p/${project}/${env}/pipelines/${existing.name}`
                  : `/p/${project}/${env}/pipelines`,
              )
            }
          >
            {t('common.cancel')}
          </Button>
        </Space>
      </Form>
    </>
  );
}

/** A script (or Dockerfile) text area in monospace, with its label and help. */
function ScriptItem(props: {
  name: 'preScript' | 'buildScript' | 'dockerfile';
  id: string;
  rows: number;
  rules?: Rule[];
}) {
  const { t } = useI18n();
  return (
    <Form.Item
      name={props.name}
      label={t(`pipelines.form.${props.name}`)}
      extra={t(`pipelines.form.${props.name}.help`)}
      rules={props.rules}
    >
      <Input.TextArea id={props.id} className="script-input" rows={props.rows} spellCheck={false} />
    </Form.Item>
  );
}
