import { useState } from 'react';
import { Alert, App, Checkbox, Modal, Skeleton, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { InlineError, errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { deleteTag, getTag, shortDigest, tagsKey } from './images-api';

/**
 * Confirms a delete by digest: names the digest, the other tags that go with it, and the running
 * services that use it (then the delete needs an explicit "force").
 */
export function DeleteTagModal(props: {
  registry: string;
  repository: string;
  tag: string;
  onClose: () => void;
}) {
  const { registry, repository, tag, onClose } = props;
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [force, setForce] = useState(false);
  const detail = useQuery({
    queryKey: ['image-tag', registry, repository, tag],
    queryFn: () => getTag(registry, repository, tag),
  });
  const running = detail.data?.usedBy.filter((u) => u.running) ?? [];
  const remove = useMutation({
    mutationFn: () => deleteTag(registry, repository, tag, force),
    onSuccess: async (r) => {
      void message.success(
        t('images.deleted', { digest: shortDigest(r.digest), tags: r.deletedTags.join(', ') }),
      );
      await queryClient.invalidateQueries({ queryKey: tagsKey(registry, repository) });
      onClose();
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  return (
    <Modal
      open
      title={t('images.delete.title', { repository, tag })}
      okText={t('images.delete')}
      okButtonProps={{
        danger: true,
        disabled: !detail.data || (running.length > 0 && !force),
        loading: remove.isPending,
      }}
      cancelText={t('common.cancel')}
      onOk={() => remove.mutate()}
      onCancel={onClose}
      data-testid="delete-tag-modal"
    >
      {detail.isPending ? <Skeleton active /> : null}
      {detail.isError ? <InlineError error={detail.error} /> : null}
      {detail.data ? (
        <>
          <Typography.Paragraph>
            {t('images.delete.body', { digest: shortDigest(detail.data.digest) })}
          </Typography.Paragraph>
          <Typography.Paragraph data-testid="delete-sharing">
            {detail.data.sharingTags.length > 0
              ? t('images.delete.sharing', { tags: detail.data.sharingTags.join(', ') })
              : t('images.delete.noSharing')}
          </Typography.Paragraph>
          {running.length > 0 ? (
            <>
              <Alert
                type="warning"
                showIcon
                message={t('images.delete.usedBy', {
                  services: running.map((u) => `${u.project}/${u.env}/${u.service}`).join(', '),
                })}
              />
              <Checkbox
                style={{ marginTop: 12 }}
                checked={force}
                onChange={(e) => setForce(e.target.checked)}
              >
                {t('images.delete.force')}
              </Checkbox>
            </>
          ) : null}
        </>
      ) : null}
    </Modal>
  );
}
