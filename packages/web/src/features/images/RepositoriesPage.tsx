import { useState } from 'react';
import { Button, Empty, Input, Select, Space, Table, Typography } from 'antd';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { embeddedRegistryName, type ImageRepository } from '@berth/shared';
import { Link, useSearchParams } from 'react-router-dom';
import { ErrorState } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { useMe } from '../auth/session';
import { isPlatformAdmin } from '../gateways/nav';
import { GcButton } from './GcButton';
import { listRegistries, listRepositories, registriesKey, repositoriesKey } from './images-api';

/** The repositories of one registry the user may read, filtered by name; links to their tags. */
export function RepositoriesPage() {
  const { t } = useI18n();
  const me = useMe();
  const [params, setParams] = useSearchParams();
  const registry = params.get('registry') ?? embeddedRegistryName;
  const [q, setQ] = useState('');
  const registries = useQuery({ queryKey: registriesKey, queryFn: listRegistries });
  const repos = useInfiniteQuery({
    queryKey: repositoriesKey(registry, q),
    queryFn: ({ pageParam }) => listRepositories(registry, q, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const admin = me.data ? isPlatformAdmin(me.data) : false;
  const current = registries.data?.items.find((r) => r.name === registry);
  const rows = repos.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <div className="page-head">
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('images.title')}
        </Typography.Title>
        <Space>
          {admin && current?.kind === 'embedded' ? <GcButton registry={registry} /> : null}
          {admin ? (
            <Link to="/images/registries" data-testid="manage-registries">
              {t('images.manageRegistries')}
            </Link>
          ) : null}
        </Space>
      </div>
      <Typography.Paragraph type="secondary">{t('images.intro')}</Typography.Paragraph>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select
          aria-label={t('images.registry')}
          style={{ minWidth: 200 }}
          value={registry}
          loading={registries.isPending}
          options={(registries.data?.items ?? []).map((r) => ({
            value: r.name,
            label: `${r.name} (${r.host})`,
          }))}
          onChange={(value: string) => setParams({ registry: value })}
          data-testid="registry-select"
        />
        <Input.Search
          allowClear
          placeholder={t('images.search')}
          aria-label={t('images.search')}
          onSearch={(v) => setQ(v.trim())}
        />
      </Space>
      {repos.isError ? (
        <ErrorState error={repos.error} onRetry={() => void repos.refetch()} />
      ) : (
        <Table<ImageRepository>
          rowKey="name"
          size="middle"
          loading={repos.isPending}
          dataSource={rows}
          pagination={false}
          data-testid="repositories-table"
          locale={{ emptyText: <Empty description={t('images.empty')} /> }}
          columns={[
            {
              key: 'name',
              title: t('images.col.repository'),
              render: (_, r) => (
                <Link
                  to={`/images/r/${encodeURIComponent(registry)}/${r.name}`}
                  data-testid={`repo-link-${r.name}`}
                >
                  {r.name}
                </Link>
              ),
            },
            { key: 'project', title: t('images.col.project'), render: (_, r) => r.project ?? '-' },
          ]}
        />
      )}
      {repos.hasNextPage ? (
        <Button
          style={{ marginTop: 12 }}
          onClick={() => void repos.fetchNextPage()}
          loading={repos.isFetchingNextPage}
        >
          {t('common.loadMore')}
        </Button>
      ) : null}
    </>
  );
}
