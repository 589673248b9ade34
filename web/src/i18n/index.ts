/**
 * Console translations: zh-CN is the default, en the alternative. Each area keeps its messages in
 * i18n/messages/<area>.ts as `export const messages = { 'zh-CN': {...}, en: {...} }`, loaded here under its area's name
 * (t('catalog.title')).
 */
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';

export type Language = 'zh-CN' | 'en';
export const languages: readonly Language[] = ['zh-CN', 'en'];
const storageKey = 'tongban.language';

type Messages = { readonly 'zh-CN': Record<string, unknown>; readonly en: Record<string, unknown> };
const modules = import.meta.glob<{ messages: Messages }>('./messages/*.ts', { eager: true });

const resources: Record<Language, { translation: Record<string, unknown> }> = {
  'zh-CN': { translation: {} },
  en: { translation: {} },
};
for (const [path, module] of Object.entries(modules)) {
  const area = path.replace(/^.*\/|\.ts$/g, '');
  for (const language of languages) resources[language].translation[area] = module.messages[language];
}

export function storedLanguage(): Language {
  const stored = typeof localStorage === 'undefined' ? null : localStorage.getItem(storageKey);
  return stored === 'en' ? 'en' : 'zh-CN';
}

export function rememberLanguage(language: Language): void {
  localStorage.setItem(storageKey, language);
  document.documentElement.lang = language;
  dayjs.locale(language === 'en' ? 'en' : 'zh-cn');
  void i18n.changeLanguage(language);
}

void i18n.use(initReactI18next).init({
  resources,
  lng: storedLanguage(),
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
  returnNull: false,
});

dayjs.locale(storedLanguage() === 'en' ? 'en' : 'zh-cn');

export { i18n };
