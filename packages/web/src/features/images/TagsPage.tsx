import { useState } from 'react';
import { App, Button, Empty, Space, Table, Tooltip, Typography } from 'antd';
import { useInfiniteQuery } from '@tanstack/react-query';
import type { ImageTag } from '@berth/shared';
import { Link, useParams } from 'react-router-dom';
import { ErrorState } from '../../components/ErrorState';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { DeleteTagModal } from './DeleteTagModal';
import { formatBytes } from '../../components/chart-math';
import { listTags, shortDigest, tagsKey } from './images-api';

function DigestText({ digest }: { digest: string }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const copy = () =>
    void navigator.clipboard?.writeText(digest).then(
      () => void message.success(t('images.copied')),
      () => undefined,
    );
  return (
    <Space size={4}>
      <Tooltip title={digest}>
        <Typography.Text code data-testid="tag-digest">
          {shortDigest(digest)}
        </Typography.Text>
      </Tooltip>
      <Button size="small" type="link" onClick={copy} aria-label={t('images.copyDigest')}>
        {t('images.copyDigest')}
      </Button>
    </Space>
  );
}

/** The tags of one repository: digest, size, created, platform, the services that run each; delete. */
export function TagsPage() {
  const { t } = useI18n();
  const { registry = '', '*': repository = '' } = useParams();
  const [deleting, setDeleting] = useState<string | null>(null);
  const tags = useInfiniteQuery({
    queryKey: tagsKey(registry, repository),
    queryFn: ({ pageParam }) => listTags(registry, repository, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = tags.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <div className="page-head">
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('images.tags.title', { repository })}
        </Typography.Title>
        <Link to={`/images?registry=${encodeURIComponent(registry)}`}>{t('images.back')}</Link>
      </div>
      {tags.isError ? (
        <ErrorState error={tags.error} onRetry={() => void tags.refetch()} />
      ) : (
        <Table<ImageTag>
          rowKey="tag"
          size="middle"
          loading={tags.isPending}
          dataSource={rows}
          pagination={false}
          scroll={{ x: 1000 }}
          data-testid="tags-table"
          locale={{ emptyText: <Empty description={t('images.tags.empty')} /> }}
          columns={[
            {
              key: 'tag',
              title: t('images.col.tag'),
              render: (_, r) => <Typography.Text strong>{r.tag}</Typography.Text>,
            },
            {
              key: 'digest',
              title: t('images.col.digest'),
              render: (_, r) => <DigestText digest={r.digest} />,
            },
            {
              key: 'size',
              title: t('images.col.size'),
              align: 'right',
              render: (_, r) => (r.sizeBytes === null ? '-' : formatBytes(r.sizeBytes)),
            },
            {
              key: 'created',
              title: t('images.col.created'),
              render: (_, r) => <TimeText at={r.createdAt} />,
            },
            {
              key: 'arch',
              title: t('images.col.arch'),
              render: (_, r) => [r.os, r.architecture].filter(Boolean).join('/') || '-',
            },
            {
              key: 'usedBy',
              title: t('images.col.usedBy'),
              render: (_, r) =>
                r.usedBy.length === 0 ? (
                  '-'
                ) : (
                  <Space direction="vertical" size={0}>
                    {r.usedBy.map((u) => (
                      <Link
                        key={`${u.project}/${u.env}/${u.service}`}
                        to={`/p/${u.project}/${u.env}/s/${u.service}`}
                      >
                        {`${u.project}/${u.env}/${u.service}`}
                      </Link>
                    ))}
                  </Space>
                ),
            },
            {
              key: 'actions',
              title: t('images.col.actions'),
              render: (_, r) => (
                <Button
                  size="small"
                  danger
                  onClick={() => setDeleting(r.tag)}
                  data-testid={`delete-tag-${r.tag}`}
                >
                  {t('images.delete')}
                </Button>
              ),
            },
          ]}
        />
      )}
      {tags.hasNextPage ? (
        <Button
          style={{ marginTop: 12 }}
          onClick={() => void tags.fetchNextPage()}
          loading={tags.isFetchingNextPage}
        >
          {t('common.loadMore')}
        </Button>
      ) : null}
      {deleting ? (
        <DeleteTagModal
          registry={registry}
          repository={repository}
          tag={deleting}
          onClose={() => setDeleting(null)}
        />
      ) : null}
    </>
  );
}
