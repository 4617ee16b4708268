import { Alert, Button } from 'antd';
import { isApiError } from '../api/errors';
import { isChunkLoadError } from '../app/chunk-load';
import type { MessageKey } from '../i18n/en';
import { useI18n, type Translate } from '../i18n/I18nProvider';

/** What the user can do about an error, by its status; the server's message adds the detail. */
export function errorAdvice(err: unknown): MessageKey {
  if (isChunkLoadError(err)) return 'error.page';
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

/** antd's warning icon (ExclamationCircleFilled), inline: the portal's first load has no Result. */
function WarningIcon() {
  return (
    <svg viewBox="64 64 896 896" width="72" height="72" fill="#faad14" aria-hidden="true" focusable="false">
      <path d="M512 64C264.6 64 64 264.6 64 512s200.6 448 448 448 448-200.6 448-448S759.4 64 512 64zm-32 232c0-4.4 3.6-8 8-8h48c4.4 0 8 3.6 8 8v272c0 4.4-3.6 8-8 8h-48c-4.4 0-8-3.6-8-8V296zm32 440a48.01 48.01 0 010-96 48.01 48.01 0 010 96z" />
    </svg>
  );
}

/**
 * A full-width error for a page or a tab that could not load, laid out as antd's Result
 * (status "warning") without its illustrations, which would weigh on every page's first load.
 */
export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const detail = isApiError(error) && error.status !== 0 ? error.message : null;
  return (
    <div className="error-state" role="alert">
      <WarningIcon />
      <div className="error-state-title">{t(errorAdvice(error))}</div>
      {/* The server's own words (English): data, not interface text, so marked translate="no". */}
      {detail ? (
        <div className="error-state-detail" translate="no">
          {detail}
        </div>
      ) : null}
      {onRetry ? (
        <div className="error-state-extra">
          <Button onClick={onRetry}>{t('common.retry')}</Button>
        </div>
      ) : null}
    </div>
  );
}

/** A compact error inside a form or a panel. */
export function InlineError({ error }: { error: unknown }) {
  const { t } = useI18n();
  return <Alert type="error" showIcon title={errorText(t, error)} />;
}
