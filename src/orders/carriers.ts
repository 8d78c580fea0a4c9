/**
 * The couriers a village ships with, and where a buyer follows a parcel: each carrier's own public
 * tracking page for a waybill number. The secretary's form offers these names (free text stays
 * possible: a village may use a local courier); a carrier typed as any of its names is recognised,
 * and one not in the table is shown as plain text, without a link.
 *
 * The templates are the carriers' public query pages; `{n}` is the waybill number (URL-encoded).
 */
export interface Carrier {
  code: 'sf' | 'ems' | 'zto' | 'yto' | 'sto' | 'yunda' | 'jd';
  nameZh: string;
  nameEn: string;
  /** Other ways people write it (lower case, without spaces). */
  aliases: readonly string[];
  trackingUrl: string;
}

export const CARRIERS: readonly Carrier[] = [
  {
    code: 'sf',
    nameZh: '顺丰速运',
    nameEn: 'SF Express',
    aliases: ['sf', '顺丰', '顺丰快递', 'sfexpress', 'shunfeng'],
    trackingUrl: 'https://www.sf-express.com/chn/sc/waybill/waybill-detail/{n}',
  },
  {
    code: 'ems',
    nameZh: 'EMS / 中国邮政',
    nameEn: 'EMS / China Post',
    aliases: ['ems', '中国邮政', '邮政', '邮政快递', '邮政ems', 'ems/中国邮政', 'chinapost', 'ems/chinapost'],
    trackingUrl: 'https://www.ems.com.cn/queryList?mailNum={n}',
  },
  {
    code: 'zto',
    nameZh: '中通快递',
    nameEn: 'ZTO Express',
    aliases: ['zto', '中通', 'ztoexpress', 'zhongtong'],
    trackingUrl: 'https://www.zto.com/express/expressCheck.html?txtBill={n}',
  },
  {
    code: 'yto',
    nameZh: '圆通速递',
    nameEn: 'YTO Express',
    aliases: ['yto', '圆通', '圆通快递', 'ytoexpress', 'yuantong'],
    trackingUrl: 'https://www.yto.net.cn/query/?waybillNo={n}',
  },
  {
    code: 'sto',
    nameZh: '申通快递',
    nameEn: 'STO Express',
    aliases: ['sto', '申通', 'stoexpress', 'shentong'],
    trackingUrl: 'https://www.sto.cn/pc/service-page/web-query?billCode={n}',
  },
  {
    code: 'yunda',
    nameZh: '韵达快递',
    nameEn: 'Yunda Express',
    aliases: ['yunda', '韵达', 'yd', 'yundaexpress'],
    trackingUrl: 'https://www.yundaex.com/cn/index.php?m=query&waybillNo={n}',
  },
  {
    code: 'jd',
    nameZh: '京东物流',
    nameEn: 'JD Logistics',
    aliases: ['jd', '京东', '京东快递', 'jdl', 'jdlogistics', 'jdexpress'],
    trackingUrl: 'https://www.jdl.com/orderSearch/?waybillCodes={n}',
  },
];

const normalise = (name: string) =>
  name
    .trim()
    .toLowerCase()
    .replace(/[\s·.]+/g, '');

const byName = new Map<string, Carrier>();
for (const c of CARRIERS) for (const name of [c.code, c.nameZh, c.nameEn, ...c.aliases]) byName.set(normalise(name), c);

/** The carrier a secretary typed or chose, by any of its names; undefined for one not in the table. */
export const carrierNamed = (name: string | null | undefined): Carrier | undefined => (name ? byName.get(normalise(name)) : undefined);

/** The carrier's public tracking page for a waybill; null for a carrier not in the table (shown as plain text). */
export function trackingUrlOf(carrier: string | null | undefined, trackingNumber: string | null | undefined): string | null {
  const known = carrierNamed(carrier);
  if (!known || !trackingNumber) return null;
  return known.trackingUrl.replace('{n}', encodeURIComponent(trackingNumber));
}

/** The carrier's name in the reader's language (as typed when it is not in the table). */
export function carrierName(carrier: string | null | undefined, locale: 'zh-CN' | 'en'): string {
  const known = carrierNamed(carrier);
  if (!known) return carrier ?? '';
  return locale === 'en' ? known.nameEn : known.nameZh;
}

/** The carriers as the shipping form offers them (a datalist: any other name may still be typed). */
export const carrierChoices = (locale: 'zh-CN' | 'en'): string[] => CARRIERS.map((c) => (locale === 'en' ? c.nameEn : c.nameZh));
