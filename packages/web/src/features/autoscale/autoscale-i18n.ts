import { useCallback } from 'react';
import { format, useI18n } from '../../i18n/I18nProvider';
import { autoscaleEn } from './messages';
import { autoscaleZh } from './messages.zh';

export type AutoscaleKey = keyof typeof autoscaleEn;
export type AutoscaleTranslate = (key: AutoscaleKey, vars?: Record<string, string | number>) => string;

/** The card's strings in the portal's current language (switches with it). */
export function useAutoscaleT(): AutoscaleTranslate {
  const { lang } = useI18n();
  return useCallback(
    (key, vars) => format((lang === 'zh-CN' ? autoscaleZh : autoscaleEn)[key], vars),
    [lang],
  );
}
