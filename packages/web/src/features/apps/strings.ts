/*
 * This feature's English strings travel with its pages, not in every page's first load: each of its
 * components imports this file, which adds them to the English dictionary when its chunk loads
 * (i18n/page-strings.ts). Chinese loads whole with the Chinese dictionary.
 */
import { addEnglish } from '../../i18n/page-strings';
import { appsEn } from './messages';

addEnglish(appsEn);
