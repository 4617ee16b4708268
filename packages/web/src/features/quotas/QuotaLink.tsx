import { Button } from 'antd';
import { useNavigate } from 'react-router-dom';
import { useI18n } from '../../i18n/I18nProvider';

/** The "Quota" button of a project page header, and of the admin projects table. */
export function QuotaLink({ project, env, size }: { project: string; env?: string; size?: 'small' }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  return (
    <Button
      size={size}
      onClick={() => void navigate(`/p/${project}/quota${env ? `?env=${encodeURIComponent(env)}` : ''}`)}
      data-testid={`open-quota-${project}`}
    >
      {t('quota.open')}
    </Button>
  );
}
