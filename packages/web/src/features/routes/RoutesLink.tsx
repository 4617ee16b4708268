import { Button } from 'antd';
import { useNavigate } from 'react-router-dom';
import { useI18n } from '../../i18n/I18nProvider';

/** The "Routes" button of a project/env page header. */
export function RoutesLink({ project, env }: { project: string; env: string }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  return (
    <Button onClick={() => void navigate(`/p/${project}/${env}/routes`)} data-testid="open-routes">
      {t('nav.routes')}
    </Button>
  );
}
