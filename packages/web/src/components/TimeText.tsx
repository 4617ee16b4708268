import { useI18n } from '../i18n/I18nProvider';

const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

const cache = new Map<string, { relative: Intl.RelativeTimeFormat; exact: Intl.DateTimeFormat }>();

/** Intl formatters are costly to build (a list renders dozens of times a second while scrolling). */
function formatters(lang: string) {
  let f = cache.get(lang);
  if (!f) {
    f = {
      relative: new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }),
      // What Date#toLocaleString(lang) shows.
      exact: new Intl.DateTimeFormat(lang, {
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      }),
    };
    cache.set(lang, f);
  }
  return f;
}

/**
 * "3 minutes ago" in the user's language, with the exact local time on hover (a native title:
 * lists render one per row, and an antd Tooltip each would cost the 10,000-service list time).
 */
export function TimeText({ at }: { at: string | null | undefined }) {
  const { t, lang } = useI18n();
  if (!at) return <span>{t('time.never')}</span>;
  const when = new Date(at);
  const diff = when.getTime() - Date.now();
  const [unit, ms] = units.find(([, size]) => Math.abs(diff) >= size) ?? ['second', 1000];
  const relative = formatters(lang).relative.format(Math.round(diff / ms), unit);
  return (
    <time dateTime={at} title={formatters(lang).exact.format(when)}>
      {relative}
    </time>
  );
}

/** An exact local date and time, for tables where people compare moments. */
export function formatDateTime(at: string | null | undefined, lang: string): string {
  return at ? new Date(at).toLocaleString(lang, { hour12: false }) : '';
}
