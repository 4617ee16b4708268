import { Alert } from 'antd';
import type { AppInstanceDetail } from '@berth/shared';
import { useI18n } from '../../i18n/I18nProvider';
import './strings';

/**
 * The instance page's note while the instance waits for its image's build (state `preparing`,
 * docs/apps.md "Images"), or after that build failed: the task and, on failure, its message.
 */
export function AppPreparing({ instance }: { instance: AppInstanceDetail }) {
  const { t } = useI18n();
  const prep = instance.preparing;
  if (!prep) return null;
  return (
    <Alert
      style={{ marginBottom: 16 }}
      type={prep.error ? 'error' : 'info'}
      showIcon
      data-testid="app-preparing"
      title={t('apps.preparing.title', { app: instance.app })}
      description={
        <>
          <div>{t('apps.preparing.help', { task: prep.task })}</div>
          {prep.error ? (
            <div>
              {t('apps.preparing.failed')} <span translate="no">{prep.error}</span>
            </div>
          ) : null}
        </>
      }
    />
  );
}
