import type { Locale } from '../i18n/i18n.js';

/**
 * The English names of the funding sources programmes most often name, for a project whose
 * coordinator gave no English name (projects.funding_source_en).
 */
export const KNOWN_FUNDING_SOURCES_EN: Readonly<Record<string, string>> = {
  福彩公益金: 'China Welfare Lottery charity fund',
  体彩公益金: 'China Sports Lottery charity fund',
  彩票公益金: 'Lottery charity fund',
  社会捐赠: 'Public donations',
  东西部协作资金: 'East–West cooperation funds',
  东西部扶贫协作资金: 'East–West poverty-alleviation cooperation funds',
  财政专项扶贫资金: 'Government poverty-alleviation funds',
  中央财政衔接推进乡村振兴补助资金: 'Central government rural revitalisation funds',
  对口帮扶资金: 'Paired-assistance funds',
  企业捐赠: 'Corporate donations',
  慈善信托: 'Charitable trust',
};

/** A project's funding source in the page's language: its English name, a known source's, else the Chinese. */
export function fundingSourceIn(locale: Locale, zh: string, en: string | null | undefined): string {
  if (locale !== 'en') return zh;
  return en?.trim() || KNOWN_FUNDING_SOURCES_EN[zh.trim()] || zh;
}
