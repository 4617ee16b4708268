import type { FormInstance } from 'antd';
import { isApiError } from '../api/errors';

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
