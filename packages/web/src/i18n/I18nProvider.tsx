import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { Locale } from 'antd/es/locale';
import enUS from 'antd/locale/en_US';
import { en, type MessageKey } from './en';
import { pageEnglish } from './page-strings';
import { retryImport } from '../app/chunk-load';

export const languages = ['en', 'zh-CN'] as const;
export type Language = (typeof languages)[number];

interface Dictionary {
  /** English lacks the keys of features whose strings load with their pages (page-strings.ts). */
  messages: Partial<Record<MessageKey, string>>;
  /** antd's own strings (pagination, empty states, pickers) in the same language. */
  antd: Locale;
}

/**
 * English is in every page's first load; Chinese (its dictionary and antd's) is a chunk of its
 * own, loaded by main.tsx before the first render when the portal opens in Chinese, or when the
 * user switches.
 */
const loaded: Partial<Record<Language, Dictionary>> = { en: { messages: en, antd: enUS } };
const loaders: Record<Language, () => Promise<Dictionary>> = {
  en: () => Promise.resolve({ messages: en, antd: enUS }),
  // antd's locale is imported here, not by zh-CN.ts, so that tests can read the dictionary without React
  'zh-CN': () =>
    Promise.all([retryImport(() => import('./zh-CN')), retryImport(() => import('antd/locale/zh_CN'))]).then(
      ([m, antd]) => ({
        messages: m.zhCN,
        antd: antd.default,
      }),
    ),
};

/** Loads a language's dictionaries once; later calls return at once. */
export async function loadLanguage(lang: Language): Promise<void> {
  loaded[lang] ??= await loaders[lang]();
}
const storageKey = 'berth.lang';

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

interface I18nValue {
  lang: Language;
  /** Switches once the language's dictionaries are loaded. */
  setLang: (lang: Language) => void;
  t: Translate;
  antdLocale: Locale;
}

const I18nContext = createContext<I18nValue | null>(null);

/** The remembered choice, else the browser's language; Chinese for any zh-* locale. */
export function initialLanguage(): Language {
  const stored = localStorage.getItem(storageKey);
  if (stored === 'en' || stored === 'zh-CN') return stored;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export function format(template: string, vars?: Record<string, string | number>): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

export function I18nProvider({ children }: { children: ReactNode }) {
  // A language not loaded yet (main.tsx loads the initial one first) shows English meanwhile.
  const [lang, setLangState] = useState<Language>(() => {
    const initial = initialLanguage();
    return loaded[initial] ? initial : 'en';
  });
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const setLang = useCallback((next: Language) => {
    localStorage.setItem(storageKey, next);
    void loadLanguage(next).then(() => setLangState(next));
  }, []);
  const value = useMemo<I18nValue>(() => {
    const dict = loaded[lang] ?? loaded.en!;
    return {
      lang,
      setLang,
      t: (key, vars) => format(dict.messages[key] ?? pageEnglish(key) ?? key, vars),
      antdLocale: dict.antd,
    };
  }, [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n must be used inside <I18nProvider>');
  return value;
}
