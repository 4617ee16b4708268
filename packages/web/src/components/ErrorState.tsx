import { Alert, Button, Result } from 'antd';
import { isApiError } from '../api/errors';
import type { MessageKey } from '../i18n/en';
import { useI18n, type Translate } from '../i18n/I18nProvider';

/** What the user can do about an error, by its status; the server's message adds the detail. */
export function errorAdvice(err: unknown): MessageKey {
  if (!isApiError(err)) return 'error.unknown';
  if (err.status === 0) return 'error.network';
  if (err.status === 404) return 'error.notFound';
  if (err.status === 403) return 'error.forbidden';
  if (err.status === 409) return 'error.conflict';
  if (err.status === 400 || err.status === 422) return 'error.invalid';
  if (err.status === 502 || err.status === 503) return 'error.unavailable';
  if (err.status >= 500) return 'error.server';
  return 'error.unknown';
}

/** One line for a toast: the advice, plus the server's explanation when it has one. */
export function errorText(t: Translate, err: unknown): string {
  const detail = isApiError(err) && err.status !== 0 ? err.message : '';
  return detail ? `${t(errorAdvice(err))} ${detail}` : t(errorAdvice(err));
}

/** A full-width error for a page or a tab that could not load. */
export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const detail = isApiError(error) && error.status !== 0 ? error.message : null;
  return (
    <Result
      status="warning"
      title={t(errorAdvice(error))}
      // The server's own words (English): data, not interface text, so marked translate="no".
      subTitle={detail ? <span translate="no">{detail}</span> : null}
      extra={onRetry ? <Button onClick={onRetry}>{t('common.retry')}</Button> : null}
    />
  );
}

/** A compact error inside a form or a panel. */
export function InlineError({ error }: { error: unknown }) {
  const { t } = useI18n();
  return <Alert type="error" showIcon title={errorText(t, error)} />;
}
