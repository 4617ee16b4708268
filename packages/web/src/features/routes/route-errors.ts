import { isApiError } from '../../api/errors';
import type { Translate } from '../../i18n/I18nProvider';
import { errorText } from '../../components/ErrorState';

/** A failed route write as the page shows it: a title, Nginx's own message, and unplaced lines. */
export interface RouteWriteProblem {
  title: string;
  nginx: string | null;
  lines: string[];
}

/**
 * Explains a failed route write. A 422 carries Nginx's refusal (`details.nginx`): the running
 * configuration was kept; a 409 means someone else changed the route meanwhile.
 */
export function describeRouteError(t: Translate, err: unknown, unplaced: string[] = []): RouteWriteProblem {
  if (isApiError(err) && err.status === 422) {
    const nginx = typeof err.details.nginx === 'string' ? err.details.nginx : null;
    return { title: t('routes.error.nginx'), nginx: nginx ?? err.message, lines: unplaced };
  }
  // a host another project claimed is a field error (spec.host), not a concurrent edit
  if (isApiError(err) && err.status === 409 && err.code !== 'HOST_CLAIMED')
    return { title: t('routes.error.conflict'), nginx: null, lines: [err.message] };
  if (isApiError(err) && err.fields.length)
    return { title: t('create.fixErrors'), nginx: null, lines: unplaced };
  return { title: errorText(t, err), nginx: null, lines: unplaced };
}
