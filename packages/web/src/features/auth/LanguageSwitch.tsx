import { Segmented } from 'antd';
import { useI18n, type Language } from '../../i18n/I18nProvider';

/** EN / 中文, each label in its own language so it can be found whatever is shown now. */
export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <Segmented<Language>
      aria-label={t('lang.label')}
      size="small"
      value={lang}
      onChange={setLang}
      options={[
        { label: 'EN', value: 'en' },
        { label: '中文', value: 'zh-CN' },
      ]}
    />
  );
}
