import { useState } from 'react';
import { App, Button, Divider, Form, Input, Modal, Select, Space, Tag, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { RegistryAssignment } from '@berth/shared';
import { isApiError } from '../../api/errors';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import {
  addPublicRepo,
  listPublicRepos,
  publicReposKey,
  registriesKey,
  removePublicRepo,
  updateRegistry,
} from './images-api';

/** The public repositories of a registry (or of "local-store", Podman's local images): list, add, remove. */
export function PublicRepositories({ registry }: { registry: string }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [repo, setRepo] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const repos = useQuery({ queryKey: publicReposKey(registry), queryFn: () => listPublicRepos(registry) });
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: publicReposKey(registry) });
    await queryClient.invalidateQueries({ queryKey: registriesKey });
  };
  const add = useMutation({
    mutationFn: () => addPublicRepo(registry, repo.trim()),
    onSuccess: async () => {
      setRepo('');
      setFieldError(null);
      await refresh();
    },
    onError: (err) => {
      setFieldError(isApiError(err) && err.fields.length > 0 ? err.fields[0]!.message : errorText(t, err));
    },
  });
  const remove = useMutation({
    mutationFn: (r: string) => removePublicRepo(registry, r),
    onSuccess: refresh,
    onError: (err) => void message.error(errorText(t, err)),
  });
  return (
    <div data-testid={`public-repos-${registry}`}>
      <Space wrap style={{ marginBottom: 8 }}>
        {(repos.data?.items ?? []).length === 0 ? (
          <Typography.Text type="secondary">{t('registries.public.none')}</Typography.Text>
        ) : (
          repos.data!.items.map((r) => (
            <Tag
              key={r.repository}
              closable
              onClose={(e) => {
                e.preventDefault();
                remove.mutate(r.repository);
              }}
            >
              {r.repository}
            </Tag>
          ))
        )}
      </Space>
      <Form.Item validateStatus={fieldError ? 'error' : undefined} help={fieldError ?? undefined}>
        <Space.Compact style={{ width: '100%' }}>
          <Input
            value={repo}
            placeholder={t('registries.public.placeholder')}
            onChange={(e) => setRepo(e.target.value)}
            data-testid={`public-repo-input-${registry}`}
          />
          <Button
            onClick={() => add.mutate()}
            loading={add.isPending}
            disabled={repo.trim() === ''}
            data-testid={`public-repo-add-${registry}`}
          >
            {t('registries.public.add')}
          </Button>
        </Space.Compact>
      </Form.Item>
    </div>
  );
}

/** Platform admins: which teams and projects may use a registry, and its public repositories. */
export function RegistryAccessModal({
  registry,
  assignedTo,
  version,
  onClose,
}: {
  registry: string;
  assignedTo: RegistryAssignment[];
  version: number;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [list, setList] = useState<RegistryAssignment[]>(assignedTo);
  const [kind, setKind] = useState<'team' | 'project'>('team');
  const [name, setName] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: () => updateRegistry(registry, { assignedTo: list, version }),
    onSuccess: async () => {
      void message.success(t('registries.saved', { name: registry }));
      await queryClient.invalidateQueries({ queryKey: registriesKey });
      onClose();
    },
    onError: (err) => {
      if (isApiError(err) && err.fields.length > 0)
        setFieldError(err.fields.map((f) => f.message).join('; '));
      else void message.error(errorText(t, err));
    },
  });
  const addOwner = () => {
    const n = name.trim();
    if (!n || list.some((a) => a.kind === kind && a.name === n)) return;
    setList([...list, { kind, name: n }]);
    setName('');
  };
  return (
    <Modal
      open
      title={t('registries.access.title', { name: registry })}
      okText={t('registries.form.save')}
      cancelText={t('common.cancel')}
      okButtonProps={{ loading: save.isPending, 'data-testid': 'save-access' }}
      onOk={() => save.mutate()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{t('registries.access.intro')}</Typography.Paragraph>
      <Space wrap style={{ marginBottom: 8 }}>
        {list.length === 0 ? (
          <Typography.Text type="secondary">{t('registries.assigned.none')}</Typography.Text>
        ) : (
          list.map((a) => (
            <Tag
              key={`${a.kind}/${a.name}`}
              closable
              onClose={(e) => {
                e.preventDefault();
                setList(list.filter((x) => !(x.kind === a.kind && x.name === a.name)));
              }}
            >
              {t(`registries.owner.${a.kind}`)} {a.name}
            </Tag>
          ))
        )}
      </Space>
      <Form.Item validateStatus={fieldError ? 'error' : undefined} help={fieldError ?? undefined}>
        <Space.Compact style={{ width: '100%' }}>
          <Select
            value={kind}
            onChange={setKind}
            style={{ width: 120 }}
            options={[
              { value: 'team', label: t('registries.owner.team') },
              { value: 'project', label: t('registries.owner.project') },
            ]}
          />
          <Input
            value={name}
            onChange={(e) => setName(e.target.value)}
            onPressEnter={addOwner}
            data-testid="assign-name"
          />
          <Button onClick={addOwner} data-testid="assign-add">
            {t('registries.assign.add')}
          </Button>
        </Space.Compact>
      </Form.Item>
      <Divider />
      <Typography.Title level={5}>{t('registries.public.title')}</Typography.Title>
      <PublicRepositories registry={registry} />
    </Modal>
  );
}
