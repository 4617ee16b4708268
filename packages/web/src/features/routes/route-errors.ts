import type { FormInstance } from 'antd';
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
  if (isApiError(err) && err.status === 409)
    return { title: t('routes.error.conflict'), nginx: null, lines: [err.message] };
  if (isApiError(err) && err.fields.length)
    return { title: t('create.fixErrors'), nginx: null, lines: unplaced };
  return { title: errorText(t, err), nginx: null, lines: unplaced };
}

/**
 * Puts each API field error (`details.fields`) on the form field `fieldFor` maps its path to;
 * returns "path: message" for the errors no field shows, for the alert above the form.
 */
export function placeFieldErrors(
  form: FormInstance,
  err: unknown,
  fieldFor: (path: string) => string | Array<string | number> | null,
): string[] {
  if (!isApiError(err)) return [];
  const unplaced: string[] = [];
  const byField = new Map<string, { name: string | Array<string | number>; errors: string[] }>();
  for (const f of err.fields) {
    const name = fieldFor(f.path);
    if (!name) {
      unplaced.push(`${f.path}: ${f.message}`);
      continue;
    }
    const key = JSON.stringify(name);
    const entry = byField.get(key) ?? { name, errors: [] };
    entry.errors.push(f.message);
    byField.set(key, entry);
  }
  form.setFields([...byField.values()]);
  return unplaced;
}
