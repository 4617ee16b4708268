import type { FormInstance } from 'antd';
import { isApiError } from '../../api/errors';
import { errorText } from '../../components/ErrorState';
import type { Translate } from '../../i18n/I18nProvider';
import { fieldFor, type FieldPath } from './service-form';

/**
 * Puts the API's field errors on the form fields they name and returns the lines for the alert
 * above the form: a summary, then the errors no field shows. Other errors become one line.
 */
export function placeApiErrors(form: FormInstance, err: unknown, t: Translate, summary: string): string[] {
  if (!isApiError(err) || err.fields.length === 0) return [errorText(t, err)];
  const unplaced: string[] = [];
  const byField = new Map<string, { name: FieldPath; errors: string[] }>();
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
  return [summary, ...unplaced];
}
