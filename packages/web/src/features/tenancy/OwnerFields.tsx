import { Form, Radio, Select, Tag, type FormInstance } from 'antd';
import { useQuery } from '@tanstack/react-query';
import type { Owner } from '@berth/shared';
import { listProjects, listTeams } from '../../api/resources';
import { useI18n } from '../../i18n/I18nProvider';

/** The owner picker of a zone or network: a team (all its projects) or one project. */
export function OwnerFields<T extends { owner: Owner }>({ form }: { form: FormInstance<T> }) {
  const { t } = useI18n();
  const kind = Form.useWatch(['owner', 'kind'], form) as Owner['kind'] | undefined;
  const teams = useQuery({ queryKey: ['teams'], queryFn: listTeams });
  const projects = useQuery({ queryKey: ['projects', 'all'], queryFn: () => listProjects(undefined) });
  const names =
    kind === 'project'
      ? (projects.data?.items ?? []).map((p) => p.name)
      : (teams.data?.items ?? []).map((x) => x.name);
  return (
    <>
      <Form.Item name={['owner', 'kind']} label={t('tenancy.owner.kind')} initialValue="team">
        <Radio.Group
          id="owner-kind"
          onChange={() => form.setFieldValue(['owner', 'name'] as never, undefined)}
          options={[
            { value: 'team', label: t('tenancy.owner.team') },
            { value: 'project', label: t('tenancy.owner.project') },
          ]}
        />
      </Form.Item>
      <Form.Item
        name={['owner', 'name']}
        label={t('tenancy.owner')}
        rules={[{ required: true, message: t('tenancy.owner.required') }]}
      >
        <Select
          id="owner-name"
          showSearch
          loading={teams.isPending || projects.isPending}
          placeholder={t('tenancy.owner.pick', {
            kind: t(kind === 'project' ? 'tenancy.owner.project' : 'tenancy.owner.team'),
          })}
          options={names.map((n) => ({ value: n, label: n }))}
        />
      </Form.Item>
    </>
  );
}

/** "team shop" / "project web" as a tag. */
export function OwnerTag({ owner }: { owner: Owner }) {
  const { t } = useI18n();
  return (
    <Tag color={owner.kind === 'team' ? 'blue' : 'green'}>
      {t(owner.kind === 'team' ? 'tenancy.owner.team' : 'tenancy.owner.project')}: {owner.name}
    </Tag>
  );
}
