import { Link } from 'react-router-dom';
import type { Translate } from '../../i18n/I18nProvider';
import { scopeOfPath, type Scope } from '../nav/last-scope';

const pipelinePages = /^\/p\/[^/]+\/[^/]+\/(pipelines|builds)(\/|$)/;

/** True on the pipeline and build pages (the header menu's "Pipelines" section). */
export function isPipelinePage(pathname: string): boolean {
  return pipelinePages.test(pathname);
}

/** "Pipelines" of the project/env of the current page, else of the last one; none without a scope. */
export function pipelineMenuItems(pathname: string, last: Scope | null, t: Translate) {
  const scope = scopeOfPath(pathname, last);
  if (!scope) return [];
  return [
    {
      key: 'pipelines',
      label: (
        <Link to={`/p/${scope.project}/${scope.env}/pipelines`} data-testid="nav-pipelines">
          {t('nav.pipelines')}
        </Link>
      ),
    },
  ];
}
