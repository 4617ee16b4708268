import type { FormInstance } from 'antd';
import { isApiError } from '../../api/errors';
import { errorText } from '../../components/ErrorState';
import { placeFieldErrors } from '../../components/form-errors';
import type { Translate } from '../../i18n/I18nProvider';
import { fieldFor } from './service-form';

/**
 * Puts the API's field errors on the form fields they name and returns the lines for the alert
 * above the form: a summary, then the errors no field shows. Other errors become one line.
 */
export function placeApiErrors(form: FormInstance, err: unknown, t: Translate, summary: string): string[] {
  if (!isApiError(err) || err.fields.length === 0) return [errorText(t, err)];
  return [summary, ...placeFieldErrors(form, err, fieldFor)];
}
