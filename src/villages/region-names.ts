import type { Locale } from '../i18n/i18n.js';

/**
 * English names of China's 34 provincial-level divisions (GB/T 2260, as the divisions data names
 * them), for the English pages. Cities, counties and townships carry their own English names
 * (regions.city_en …), given with the region; provinces are few and fixed, so they are named here.
 */
export const PROVINCES_EN: Readonly<Record<string, string>> = {
  北京市: 'Beijing',
  天津市: 'Tianjin',
  河北省: 'Hebei',
  山西省: 'Shanxi',
  内蒙古自治区: 'Inner Mongolia',
  辽宁省: 'Liaoning',
  吉林省: 'Jilin',
  黑龙江省: 'Heilongjiang',
  上海市: 'Shanghai',
  江苏省: 'Jiangsu',
  浙江省: 'Zhejiang',
  安徽省: 'Anhui',
  福建省: 'Fujian',
  江西省: 'Jiangxi',
  山东省: 'Shandong',
  河南省: 'Henan',
  湖北省: 'Hubei',
  湖南省: 'Hunan',
  广东省: 'Guangdong',
  广西壮族自治区: 'Guangxi',
  海南省: 'Hainan',
  重庆市: 'Chongqing',
  四川省: 'Sichuan',
  贵州省: 'Guizhou',
  云南省: 'Yunnan',
  西藏自治区: 'Tibet',
  陕西省: 'Shaanxi',
  甘肃省: 'Gansu',
  青海省: 'Qinghai',
  宁夏回族自治区: 'Ningxia',
  新疆维吾尔自治区: 'Xinjiang',
  台湾省: 'Taiwan',
  香港特别行政区: 'Hong Kong',
  澳门特别行政区: 'Macao',
};

/** A region as pages show it: its Chinese names and the English ones it has. */
export interface RegionNames {
  province: string;
  city: string;
  county: string;
  township?: string;
  cityEn?: string | null;
  countyEn?: string | null;
  townshipEn?: string | null;
}

/**
 * The region's names from province down, in the page's language: on English pages the English
 * name of each level that has one, else its Chinese name (a region added without English names).
 */
export function regionParts(locale: Locale, r: RegionNames, levels: 'county' | 'township' = 'township'): string[] {
  const parts: [string | undefined, string | null | undefined][] = [
    [r.province, PROVINCES_EN[r.province]],
    [r.city, r.cityEn],
    [r.county, r.countyEn],
  ];
  if (levels === 'township') parts.push([r.township, r.townshipEn]);
  return parts.filter(([zh]) => Boolean(zh)).map(([zh, en]) => (locale === 'en' && en ? en : zh!));
}

/** The region as one line: "河南省 · 郑州市 · 登封市", "Henan · Zhengzhou · Dengfeng". */
export const regionLine = (locale: Locale, r: RegionNames, levels: 'county' | 'township' = 'township') => regionParts(locale, r, levels).join(' · ');
