import type { Category, Unit } from '../catalog/schema.js';
import type { ProducerKind } from '../villages/schema.js';

/**
 * Demo data, modelled on real poverty-alleviation programmes (see DESIGN.md): the 煤窑沟 first
 * secretary shipping yuba, honey and eggs to Shenzhen; the 新郑 embroiderer's tiger-head shoes;
 * the 明梅村 Yao tea factory's 150 kg order; the 小鸡快跑 project in 鼎城区. Plain data only:
 * seed.ts inserts it. Households and people are invented; places and programmes are real.
 */

export interface SeedRegion {
  key: string;
  province: string;
  city: string;
  county: string;
  township: string;
  /** English names for the English pages (the province's comes from src/villages/region-names.ts). */
  cityEn: string;
  countyEn: string;
  townshipEn: string;
}

export interface SeedVillage {
  slug: string;
  regionKey: string;
  nameZh: string;
  nameEn: string;
  storyZh: string;
  storyEn: string;
  /** Flat fee per shipment from this village, in fen. */
  shippingFeeFen: number;
  /** Shipment subtotal in fen at or above which shipping is free; null = never free. */
  freeShippingOverFen: number | null;
}

export interface SeedProject {
  slug: string;
  nameZh: string;
  nameEn: string;
  fundingSource: string;
  /** Its English name; without one, English pages use a well-known source's (src/projects/funding-sources.ts). */
  fundingSourceEn?: string;
  /** ISO date, inclusive. */
  startsOn: string;
  /**
   * The project ends on 31 December this many years after the year the demo data is loaded
   * (China time), so a fresh demo has running projects whatever day it is loaded on, for years.
   */
  endsYearsAfterSeed: number;
  /** In fen. */
  targetFen: number;
  storyZh: string;
  storyEn: string;
  /** Basis points; the three parts sum to 10000. */
  split: { householdBp: number; projectFundBp: number; operationsBp: number };
}

export interface SeedHousehold {
  key: string;
  villageSlug: string;
  realName: string;
  /** Null when the household has not agreed to be named publicly. */
  displayName: string | null;
  consentPublic: boolean;
  publicStoryZh: string | null;
  publicStoryEn: string | null;
  phone: string;
  idCardLast4: string;
  /** 建档立卡 number. */
  povertyRegNo: string;
  members: number;
  /** Slugs of the projects the household is enrolled in. */
  projectSlugs: string[];
}

export interface SeedProducer {
  key: string;
  villageSlug: string;
  kind: ProducerKind;
  nameZh: string;
  nameEn: string;
  storyZh: string;
  storyEn: string;
  /** Households sharing the proceeds, with integer weights. */
  members: { householdKey: string; weight: number }[];
}

/** What the generated demo photo shows (drawn shapes only; see seed-images.ts). */
export type PhotoMotif =
  | 'tea'
  | 'honey'
  | 'eggs'
  | 'bottle'
  | 'shoe'
  | 'peach'
  | 'orange'
  | 'passionfruit'
  | 'grain'
  | 'noodles'
  | 'walnut'
  | 'mushroom'
  | 'fungus'
  | 'pepper'
  | 'chicken'
  | 'insole'
  | 'pillow'
  | 'sachet'
  | 'yuba'
  | 'pork';

export interface SeedProduct {
  slug: string;
  producerKey: string;
  projectSlug: string;
  category: Category;
  unit: Unit;
  titleZh: string;
  titleEn: string;
  descriptionZh: string;
  descriptionEn: string;
  storyZh: string;
  storyEn: string;
  /** Retail price per unit, in fen. */
  priceFen: number;
  stock: number;
  minOrderQty: number;
  maxRetailQty: number | null;
  lowStockThreshold: number;
  published: boolean;
  featured: boolean;
  soldCount: number;
  /** How long ago the product was listed, in days (for the "newest" sort). */
  listedDaysAgo: number;
  /** Bulk prices in fen per unit, from minQty units upward. */
  tiers: { minQty: number; priceFen: number }[];
  motif: PhotoMotif;
}

/**
 * The demo households' bank accounts (private fields, for the 批量代发 flow): each village's local
 * bank, and an account number that is plainly made up (6299 0000 0000 and the household's number).
 * The last household has none recorded, so the demo also shows a payout the batch cannot carry.
 */
export const DEMO_BANKS: Record<string, string> = {
  meiyaogou: '中国农业银行登封大冶支行',
  mengzhuang: '新郑农村商业银行孟庄支行',
  shibantan: '湖南鼎城农村商业银行石板滩支行',
  gulou: '广西钟山农村信用合作联社回龙信用社',
  mingmei: '中国邮政储蓄银行贺州平桂鹅塘支行',
  chashan: '广西富川农村信用合作联社朝东信用社',
};

/** A demo household's made-up account number (the i-th household, from 0), or null for the last one. */
export const demoBankAccountNo = (i: number, count: number): string | null => (i === count - 1 ? null : `629900000000${String(i + 1).padStart(4, '0')}`);

export const REGIONS: SeedRegion[] = [
  {
    key: 'dengfeng',
    province: '河南省',
    city: '郑州市',
    county: '登封市',
    township: '大冶镇',
    cityEn: 'Zhengzhou',
    countyEn: 'Dengfeng',
    townshipEn: 'Daye Town',
  },
  {
    key: 'xinzheng',
    province: '河南省',
    city: '郑州市',
    county: '新郑市',
    township: '孟庄镇',
    cityEn: 'Zhengzhou',
    countyEn: 'Xinzheng',
    townshipEn: 'Mengzhuang Town',
  },
  {
    key: 'dingcheng',
    province: '湖南省',
    city: '常德市',
    county: '鼎城区',
    township: '石板滩镇',
    cityEn: 'Changde',
    countyEn: 'Dingcheng District',
    townshipEn: 'Shibantan Town',
  },
  {
    key: 'zhongshan',
    province: '广西壮族自治区',
    city: '贺州市',
    county: '钟山县',
    township: '回龙镇',
    cityEn: 'Hezhou',
    countyEn: 'Zhongshan County',
    townshipEn: 'Huilong Town',
  },
  {
    key: 'pinggui',
    province: '广西壮族自治区',
    city: '贺州市',
    county: '平桂区',
    township: '鹅塘镇',
    cityEn: 'Hezhou',
    countyEn: 'Pinggui District',
    townshipEn: 'Etang Town',
  },
  {
    key: 'fuchuan',
    province: '广西壮族自治区',
    city: '贺州市',
    county: '富川瑶族自治县',
    township: '朝东镇',
    cityEn: 'Hezhou',
    countyEn: 'Fuchuan Yao Autonomous County',
    townshipEn: 'Chaodong Town',
  },
];

export const VILLAGES: SeedVillage[] = [
  {
    slug: 'meiyaogou',
    regionKey: 'dengfeng',
    nameZh: '煤窑沟村',
    nameEn: 'Meiyaogou Village',
    storyZh:
      '煤窑沟村藏在嵩山南麓的山沟里，早年靠小煤窑过日子，煤窑关停后，年轻人大多外出打工，留下老人守着坡地。驻村第一书记来了以后，挨家挨户摸清谁家会做腐竹、谁家养着蜂、谁家的鸡满山跑，把这些老手艺变成了订单。如今每天下午，村委会门口都有一辆快递车，把腐竹、土蜂蜜和土鸡蛋发往深圳。',
    storyEn:
      'Meiyaogou sits in a gully on the southern slopes of Mount Song. It once lived off small coal pits; when they closed, the young left for factory work and the old stayed with the hillside fields. The village first secretary went door to door to learn who still made yuba, who kept bees and whose hens roamed the hills, and turned those skills into orders. Every afternoon a courier van now waits outside the village committee to carry yuba, wild honey and free-range eggs to Shenzhen.',
    shippingFeeFen: 1000,
    freeShippingOverFen: 9900,
  },
  {
    slug: 'mengzhuang',
    regionKey: 'xinzheng',
    nameZh: '孟庄村',
    nameEn: 'Mengzhuang Village',
    storyZh:
      '孟庄村的妇女几乎人人会绣花，虎头鞋、虎头枕、绣花鞋垫是老辈人给孩子的祝福。过去这些手艺只在赶集时卖几双，社工把绣娘们组织起来，统一尺码、拍照上架，城里的年轻父母这才找到了她们。',
    storyEn:
      'Almost every woman in Mengzhuang can embroider: tiger-head shoes, tiger-head pillows and embroidered insoles are the blessings older generations give to children. They used to sell a few pairs at the market fair. Social workers organised the embroiderers, standardised the sizes and photographed the work, and young parents in the city finally found them.',
    shippingFeeFen: 800,
    freeShippingOverFen: 19900,
  },
  {
    slug: 'shibantan',
    regionKey: 'dingcheng',
    nameZh: '石板滩村',
    nameEn: 'Shibantan Village',
    storyZh:
      '石板滩村在鼎城区北部的丘陵里，竹林和茶园之间到处是散养的土鸡。“小鸡快跑”项目给困难农户送去鸡苗、疫苗和技术员，农户把鸡养在山坡上，一年后连鸡带蛋卖到城里。',
    storyEn:
      'Shibantan lies in the hills of northern Dingcheng District, where free-range chickens wander between bamboo groves and tea gardens. The Chicks Run project gave struggling households chicks, vaccines and a visiting technician; the birds grow up on the hillsides, and a year later the chickens and their eggs are sold in the city.',
    shippingFeeFen: 1200,
    freeShippingOverFen: 12900,
  },
  {
    slug: 'gulou',
    regionKey: 'zhongshan',
    nameZh: '古楼村',
    nameEn: 'Gulou Village',
    storyZh:
      '古楼村四面环山，雨水多、雾气重，适合种百香果和养菌菇。深圳对口帮扶贺州以后，村里建起了菌棚和冷库，合作社把香菇、木耳卖进了深圳的单位食堂和公益超市。',
    storyEn:
      'Gulou is ringed by hills, with plenty of rain and mist, good for passion fruit and mushrooms. Since Shenzhen was paired with Hezhou for east–west cooperation, the village has built mushroom sheds and a cold store, and its cooperative sells shiitake and wood-ear fungus to Shenzhen canteens and charity supermarkets.',
    shippingFeeFen: 1000,
    freeShippingOverFen: 9900,
  },
  {
    slug: 'mingmei',
    regionKey: 'pinggui',
    nameZh: '明梅村',
    nameEn: 'Mingmei Village',
    storyZh:
      '明梅村是土瑶聚居的深山村寨，山高路陡，过去是贺州最贫困的村子之一。土瑶人世代在云雾里种茶，茶树长在石缝间，不施化肥。村里的瑶茶厂建成后，第一笔大单是一位茶商一次买走 150 公斤，每公斤 560 元。',
    storyEn:
      'Mingmei is a mountain village of the Tuyao (Yao) people, reached by steep roads, and was once among the poorest places in Hezhou. The Tuyao have grown tea in the clouds for generations; the bushes grow between rocks with no chemical fertiliser. The first big order for the village tea factory was a merchant who bought 150 kg in one go at ¥560 per kilogram.',
    shippingFeeFen: 1500,
    freeShippingOverFen: 19900,
  },
  {
    slug: 'chashan',
    regionKey: 'fuchuan',
    nameZh: '岔山村',
    nameEn: 'Chashan Village',
    storyZh: '岔山村在潇贺古道旁，青石板路走了几百年。村里的老油茶林每年霜降前后开摘，茶籽晒干后用木榨榨油；冬天家家挂起腊肉，山坡上的脐橙也正好成熟。',
    storyEn:
      'Chashan stands beside the ancient Xiao–He road, whose flagstones have been walked for centuries. The old camellia groves are picked around the first frost and the dried seeds pressed in a wooden press; in winter every house hangs cured pork, just as the navel oranges ripen on the slopes.',
    shippingFeeFen: 1000,
    freeShippingOverFen: 15900,
  },
];

export const PROJECTS: SeedProject[] = [
  {
    slug: 'fupin-xianfuzhi',
    nameZh: '扶贫先扶志',
    nameEn: 'Lift Aspirations First',
    fundingSource: '福彩公益金',
    startsOn: '2023-03-01',
    endsYearsAfterSeed: 4,
    targetFen: 50_000_000,
    storyZh:
      '由市社会工作协会发起，用福彩公益金支持驻村社工：帮农户把手里的东西做成商品，链接城市里的公益超市和单位食堂，让农户靠自己的双手增收，而不是等着救济。',
    storyEn:
      'Started by the city social-work association with welfare-lottery funds, this project pays for social workers in the villages who help households turn what they make into products and connect them with charity supermarkets and workplace canteens in the city, so families earn with their own hands rather than wait for relief.',
    split: { householdBp: 9000, projectFundBp: 700, operationsBp: 300 },
  },
  {
    slug: 'xiaoji-kuaipao',
    nameZh: '小鸡快跑',
    nameEn: 'Chicks Run',
    fundingSource: '社会捐赠',
    startsOn: '2024-02-01',
    endsYearsAfterSeed: 4,
    targetFen: 13_000_000,
    storyZh: '爱心人士和企业共募集善款 13 万元，为鼎城区的困难农户购买鸡苗、疫苗和饲料，请技术员定期上门。农户卖鸡卖蛋的收入全部归农户所有，平台不提成。',
    storyEn:
      'Donors and companies raised ¥130,000 to buy chicks, vaccines and feed for struggling farm households in Dingcheng District, with a technician visiting regularly. Every yuan from the chickens and eggs goes to the households; the platform takes nothing.',
    split: { householdBp: 10000, projectFundBp: 0, operationsBp: 0 },
  },
  {
    slug: 'shen-he-xiezuo',
    nameZh: '深贺协作',
    nameEn: 'Shenzhen–Hezhou Partnership',
    fundingSource: '东西部协作资金',
    fundingSourceEn: 'Shenzhen–Hezhou East–West cooperation funds',
    startsOn: '2022-01-01',
    endsYearsAfterSeed: 5,
    targetFen: 200_000_000,
    storyZh: '深圳与贺州东西部协作项目：深圳的资金建茶厂、菌棚和冷库，深圳的单位食堂、工会和公益超市长期采购贺州的土瑶茶、菌菇、百香果和茶油。',
    storyEn:
      'The east–west partnership between Shenzhen and Hezhou: Shenzhen funds tea factories, mushroom sheds and cold stores, and Shenzhen canteens, trade unions and charity supermarkets buy Hezhou’s Yao tea, mushrooms, passion fruit and camellia oil year after year.',
    split: { householdBp: 8500, projectFundBp: 1000, operationsBp: 500 },
  },
  {
    slug: 'meiyaogou-chanye',
    nameZh: '煤窑沟产业扶贫',
    nameEn: 'Meiyaogou Livelihoods',
    fundingSource: '福彩公益金',
    startsOn: '2023-06-01',
    endsYearsAfterSeed: 4,
    targetFen: 30_000_000,
    storyZh: '驻村第一书记牵头的产业项目：添置腐竹锅灶和蜂箱，统一包装和冷链，每天把煤窑沟的腐竹、蜂蜜、鸡蛋发往深圳。项目基金用于更换蜂箱和培训。',
    storyEn:
      'A livelihoods project led by the village first secretary: new yuba vats and beehives, shared packaging and cold chain, and a daily shipment of Meiyaogou yuba, honey and eggs to Shenzhen. The project fund pays for replacement hives and training.',
    split: { householdBp: 9500, projectFundBp: 500, operationsBp: 0 },
  },
  {
    slug: 'qiaoshou-xiuniang',
    nameZh: '巧手绣娘',
    nameEn: 'Skilled Hands Embroiderers',
    fundingSource: '社会捐赠',
    startsOn: '2023-09-01',
    endsYearsAfterSeed: 4,
    targetFen: 8_000_000,
    storyZh: '社工为新郑的绣娘（其中有行动不便的残疾妇女）上门送布料、取成品，统一拍照定价。绣娘在家就能接单，项目基金用于买布料和针线。',
    storyEn:
      'Social workers bring fabric to the embroiderers of Xinzheng, some of them women with disabilities who cannot easily travel, collect the finished work, and photograph and price it. The women take orders from home; the project fund buys cloth and thread.',
    split: { householdBp: 9000, projectFundBp: 500, operationsBp: 500 },
  },
];

export const HOUSEHOLDS: SeedHousehold[] = [
  // 煤窑沟村
  {
    key: 'wang-honey',
    villageSlug: 'meiyaogou',
    realName: '王秀兰',
    displayName: '王阿姨',
    consentPublic: true,
    publicStoryZh: '王阿姨养了二十多年土蜂，丈夫在煤窑受过伤，家里的开销全靠这几十箱蜂。',
    publicStoryEn: 'Auntie Wang has kept native bees for over twenty years. Her husband was hurt in a coal pit, and the family lives on her few dozen hives.',
    phone: '13703712456',
    idCardLast4: '3526',
    povertyRegNo: '4101850012',
    members: 3,
    projectSlugs: ['meiyaogou-chanye', 'fupin-xianfuzhi'],
  },
  {
    key: 'li-yuba',
    villageSlug: 'meiyaogou',
    realName: '李国强',
    displayName: '李大叔',
    consentPublic: true,
    publicStoryZh: '李大叔凌晨三点起来磨豆、煮浆、挑皮，一锅豆浆只能挑出几斤腐竹。',
    publicStoryEn: 'Uncle Li gets up at three to grind beans, boil the milk and lift the skins; one vat of soy milk yields only a few jin of yuba.',
    phone: '15890612378',
    idCardLast4: '1017',
    povertyRegNo: '4101850027',
    members: 4,
    projectSlugs: ['meiyaogou-chanye'],
  },
  {
    key: 'zhang-eggs',
    villageSlug: 'meiyaogou',
    realName: '张桂芳',
    displayName: '张大姐',
    consentPublic: true,
    publicStoryZh: '张大姐一个人带着两个上学的孩子，两百只鸡散养在屋后的核桃林里。',
    publicStoryEn: 'Sister Zhang is raising two schoolchildren on her own; her two hundred hens range in the walnut grove behind the house.',
    phone: '13838125790',
    idCardLast4: '2248',
    povertyRegNo: '4101850041',
    members: 3,
    projectSlugs: ['fupin-xianfuzhi', 'meiyaogou-chanye'],
  },
  {
    key: 'meiyaogou-private',
    villageSlug: 'meiyaogou',
    realName: '赵建民',
    displayName: null,
    consentPublic: false,
    publicStoryZh: null,
    publicStoryEn: null,
    phone: '18638207734',
    idCardLast4: '5583',
    povertyRegNo: '4101850058',
    members: 2,
    projectSlugs: ['fupin-xianfuzhi'],
  },
  // 孟庄村
  {
    key: 'liu-embroidery',
    villageSlug: 'mengzhuang',
    realName: '刘春梅',
    displayName: '刘大姐',
    consentPublic: true,
    publicStoryZh: '刘大姐小时候因病落下腿疾，出门不便，却绣了三十年虎头鞋。社工把她的鞋拍照放到网上，城里的订单一下子多了起来。',
    publicStoryEn:
      'An illness in childhood left Sister Liu with a weak leg and she rarely leaves home, but she has embroidered tiger-head shoes for thirty years. When social workers put photos of her shoes online, orders from the city poured in.',
    phone: '13592617043',
    idCardLast4: '0629',
    povertyRegNo: '4101840033',
    members: 2,
    projectSlugs: ['qiaoshou-xiuniang', 'fupin-xianfuzhi'],
  },
  {
    key: 'sun-embroidery',
    villageSlug: 'mengzhuang',
    realName: '孙玉珍',
    displayName: '孙奶奶',
    consentPublic: true,
    publicStoryZh: '孙奶奶七十岁了，眼神还好，最拿手的是鞋垫上的牡丹和石榴。',
    publicStoryEn: 'Granny Sun is seventy with sharp eyes still; peonies and pomegranates on insoles are her speciality.',
    phone: '15238694410',
    idCardLast4: '7402',
    povertyRegNo: '4101840051',
    members: 1,
    projectSlugs: ['qiaoshou-xiuniang'],
  },
  {
    key: 'mengzhuang-private',
    villageSlug: 'mengzhuang',
    realName: '郭丽娜',
    displayName: null,
    consentPublic: false,
    publicStoryZh: null,
    publicStoryEn: null,
    phone: '17703716652',
    idCardLast4: '318X',
    povertyRegNo: '4101840068',
    members: 4,
    projectSlugs: ['qiaoshou-xiuniang'],
  },
  // 石板滩村
  {
    key: 'zhou-chicken',
    villageSlug: 'shibantan',
    realName: '周建华',
    displayName: '周大哥',
    consentPublic: true,
    publicStoryZh: '周大哥前年做了心脏手术，不能再出去打工，领了三百只鸡苗，现在每天能捡一百多个蛋。',
    publicStoryEn:
      'Brother Zhou had heart surgery two years ago and can no longer work away from home. He took three hundred chicks and now collects over a hundred eggs a day.',
    phone: '13974223185',
    idCardLast4: '4471',
    povertyRegNo: '4307030019',
    members: 5,
    projectSlugs: ['xiaoji-kuaipao'],
  },
  {
    key: 'chen-chicken',
    villageSlug: 'shibantan',
    realName: '陈满秀',
    displayName: '陈阿婆',
    consentPublic: true,
    publicStoryZh: '陈阿婆和孙子相依为命，鸡就养在自家菜园边，她给每只鸡都起了名字。',
    publicStoryEn: 'Granny Chen lives alone with her grandson. The hens live beside her vegetable plot, and she has a name for each of them.',
    phone: '18907366021',
    idCardLast4: '8836',
    povertyRegNo: '4307030034',
    members: 2,
    projectSlugs: ['xiaoji-kuaipao'],
  },
  {
    key: 'yang-chicken',
    villageSlug: 'shibantan',
    realName: '杨志勇',
    displayName: '杨大叔',
    consentPublic: true,
    publicStoryZh: '杨大叔家的桃园也在山坡上，鸡在桃树下吃虫，桃子熟了一起上架。',
    publicStoryEn:
      'Uncle Yang’s peach orchard is on the same slope; his chickens eat the insects under the trees, and when the peaches ripen they go on sale too.',
    phone: '15873608847',
    idCardLast4: '2093',
    povertyRegNo: '4307030046',
    members: 6,
    projectSlugs: ['xiaoji-kuaipao'],
  },
  {
    key: 'shibantan-private',
    villageSlug: 'shibantan',
    realName: '胡春生',
    displayName: null,
    consentPublic: false,
    publicStoryZh: null,
    publicStoryEn: null,
    phone: '13107369952',
    idCardLast4: '6615',
    povertyRegNo: '4307030052',
    members: 3,
    projectSlugs: ['xiaoji-kuaipao'],
  },
  // 古楼村
  {
    key: 'huang-fruit',
    villageSlug: 'gulou',
    realName: '黄德明',
    displayName: '黄大哥',
    consentPublic: true,
    publicStoryZh: '黄大哥在深圳的工地干过八年，回村种了六亩百香果，每天清早摘果、傍晚发货。',
    publicStoryEn:
      'Brother Huang spent eight years on Shenzhen building sites before coming home to plant six mu of passion fruit. He picks at dawn and ships at dusk.',
    phone: '18277412630',
    idCardLast4: '5190',
    povertyRegNo: '4511220007',
    members: 4,
    projectSlugs: ['shen-he-xiezuo'],
  },
  {
    key: 'qin-mushroom',
    villageSlug: 'gulou',
    realName: '覃美玲',
    displayName: '覃阿姨',
    consentPublic: true,
    publicStoryZh: '覃阿姨是合作社的菌棚管理员，香菇什么时候该喷水、什么时候该采，她一看就知道。',
    publicStoryEn:
      'Auntie Qin looks after the cooperative’s mushroom sheds; one glance tells her when the shiitake need misting and when they are ready to pick.',
    phone: '13977448205',
    idCardLast4: '3364',
    povertyRegNo: '4511220015',
    members: 5,
    projectSlugs: ['shen-he-xiezuo'],
  },
  {
    key: 'gulou-private',
    villageSlug: 'gulou',
    realName: '钟文华',
    displayName: null,
    consentPublic: false,
    publicStoryZh: null,
    publicStoryEn: null,
    phone: '15077419986',
    idCardLast4: '7728',
    povertyRegNo: '4511220023',
    members: 3,
    projectSlugs: ['shen-he-xiezuo'],
  },
  // 明梅村 (土瑶)
  {
    key: 'pan-tea',
    villageSlug: 'mingmei',
    realName: '盘桂英',
    displayName: '盘大姐',
    consentPublic: true,
    publicStoryZh: '盘大姐是瑶茶厂的采茶能手，一天能采八斤鲜叶，在厂里做工后，女儿第一次读上了高中。',
    publicStoryEn:
      'Sister Pan is the tea factory’s best picker, eight jin of fresh leaf a day. Since she started working there, her daughter has become the first in the family to go to senior high school.',
    phone: '18378481127',
    idCardLast4: '0452',
    povertyRegNo: '4511030031',
    members: 5,
    projectSlugs: ['shen-he-xiezuo'],
  },
  {
    key: 'zhao-tea',
    villageSlug: 'mingmei',
    realName: '赵金贵',
    displayName: '赵大叔',
    consentPublic: true,
    publicStoryZh: '赵大叔负责炒茶，一口大铁锅、一双手，火候全凭经验；农闲时还在山上养了二十箱野蜂。',
    publicStoryEn:
      'Uncle Zhao fires the tea by hand in a great iron wok, judging the heat by experience; between seasons he keeps twenty boxes of wild bees on the mountain.',
    phone: '13877445318',
    idCardLast4: '2781',
    povertyRegNo: '4511030046',
    members: 6,
    projectSlugs: ['shen-he-xiezuo'],
  },
  {
    key: 'deng-tea',
    villageSlug: 'mingmei',
    realName: '邓秀珍',
    displayName: '邓阿姨',
    consentPublic: true,
    publicStoryZh: null,
    publicStoryEn: null,
    phone: '15977421069',
    idCardLast4: '9134',
    povertyRegNo: '4511030052',
    members: 4,
    projectSlugs: ['shen-he-xiezuo'],
  },
  {
    key: 'mingmei-private',
    villageSlug: 'mingmei',
    realName: '凤志强',
    displayName: null,
    consentPublic: false,
    publicStoryZh: null,
    publicStoryEn: null,
    phone: '18776405532',
    idCardLast4: '6208',
    povertyRegNo: '4511030067',
    members: 3,
    projectSlugs: ['shen-he-xiezuo'],
  },
  // 岔山村
  {
    key: 'he-oil',
    villageSlug: 'chashan',
    realName: '何永福',
    displayName: '何大叔',
    consentPublic: true,
    publicStoryZh: '何大叔家守着三十亩老油茶林，木榨是爷爷留下来的。',
    publicStoryEn: 'Uncle He’s family tends thirty mu of old camellia trees; the wooden oil press was his grandfather’s.',
    phone: '13768457720',
    idCardLast4: '1146',
    povertyRegNo: '4511230011',
    members: 4,
    projectSlugs: ['shen-he-xiezuo'],
  },
  {
    key: 'mao-oil',
    villageSlug: 'chashan',
    realName: '毛凤娇',
    displayName: '毛阿婆',
    consentPublic: true,
    publicStoryZh: '毛阿婆熏的腊肉用的是油茶壳的烟，村里人都说她家的最香。',
    publicStoryEn: 'Granny Mao smokes her pork over camellia husks, and the whole village says hers is the most fragrant.',
    phone: '18978415503',
    idCardLast4: '4027',
    povertyRegNo: '4511230029',
    members: 2,
    projectSlugs: ['shen-he-xiezuo'],
  },
];

export const PRODUCERS: SeedProducer[] = [
  {
    key: 'wang-apiary',
    villageSlug: 'meiyaogou',
    kind: 'household',
    nameZh: '王阿姨家的土蜂场',
    nameEn: 'Auntie Wang’s Apiary',
    storyZh: '四十二箱中华土蜂，放在村后槐树林和荆条坡上，一年只取两次蜜，不喂糖。',
    storyEn:
      'Forty-two hives of native Chinese bees among the locust trees and vitex slopes behind the village. Honey is taken only twice a year, and the bees are never fed sugar.',
    members: [{ householdKey: 'wang-honey', weight: 1 }],
  },
  {
    key: 'li-yuba',
    villageSlug: 'meiyaogou',
    kind: 'household',
    nameZh: '李大叔腐竹坊',
    nameEn: 'Uncle Li’s Yuba Workshop',
    storyZh: '柴火灶、山泉水、本地黄豆，一层一层挑出来的腐竹，晾在院子的竹竿上。',
    storyEn: 'A wood-fired stove, spring water and local soybeans; the yuba is lifted sheet by sheet and dried on bamboo poles in the yard.',
    members: [{ householdKey: 'li-yuba', weight: 1 }],
  },
  {
    key: 'meiyaogou-coop',
    villageSlug: 'meiyaogou',
    kind: 'cooperative',
    nameZh: '煤窑沟村种养专业合作社',
    nameEn: 'Meiyaogou Farming Cooperative',
    storyZh: '第一书记牵头成立，社员按投入的鸡、地和工分红；合作社统一收蛋、收杂粮，统一包装发往深圳。',
    storyEn:
      'Founded with the first secretary’s help. Members share profits by the hens, land and work they put in; the cooperative collects eggs and grains, packs them together and ships them to Shenzhen.',
    members: [
      { householdKey: 'zhang-eggs', weight: 5 },
      { householdKey: 'wang-honey', weight: 2 },
      { householdKey: 'meiyaogou-private', weight: 3 },
    ],
  },
  {
    key: 'liu-embroidery',
    villageSlug: 'mengzhuang',
    kind: 'household',
    nameZh: '刘大姐绣坊',
    nameEn: 'Sister Liu’s Embroidery',
    storyZh: '一张小桌、一盏台灯，虎头鞋的眼睛、眉毛、胡须全是一针一线绣出来的，一双要做三天。',
    storyEn: 'A small table and a desk lamp. Every eye, brow and whisker on a tiger-head shoe is stitched by hand; one pair takes three days.',
    members: [{ householdKey: 'liu-embroidery', weight: 1 }],
  },
  {
    key: 'mengzhuang-coop',
    villageSlug: 'mengzhuang',
    kind: 'cooperative',
    nameZh: '孟庄村巧手绣娘合作社',
    nameEn: 'Mengzhuang Embroiderers’ Cooperative',
    storyZh: '十几位绣娘在家接单，社工每周上门送布料、收成品；收入按每人完成的件数分配。',
    storyEn:
      'A dozen embroiderers take orders at home; social workers bring fabric and collect finished pieces each week, and income is shared by the pieces each woman completes.',
    members: [
      { householdKey: 'liu-embroidery', weight: 4 },
      { householdKey: 'sun-embroidery', weight: 3 },
      { householdKey: 'mengzhuang-private', weight: 2 },
    ],
  },
  {
    key: 'shibantan-coop',
    villageSlug: 'shibantan',
    kind: 'cooperative',
    nameZh: '石板滩村小鸡快跑养殖合作社',
    nameEn: 'Shibantan Chicks Run Cooperative',
    storyZh: '“小鸡快跑”项目的农户组成的合作社，统一防疫、统一收蛋，按各家出栏的鸡数分配收入。',
    storyEn:
      'The Chicks Run households formed this cooperative to vaccinate and collect eggs together; income is shared by the number of birds each family raises.',
    members: [
      { householdKey: 'zhou-chicken', weight: 6 },
      { householdKey: 'chen-chicken', weight: 2 },
      { householdKey: 'yang-chicken', weight: 4 },
      { householdKey: 'shibantan-private', weight: 3 },
    ],
  },
  {
    key: 'yang-orchard',
    villageSlug: 'shibantan',
    kind: 'household',
    nameZh: '杨大叔家的桃园',
    nameEn: 'Uncle Yang’s Peach Orchard',
    storyZh: '两亩蟠桃树，鸡在树下除虫，不打除草剂，果子熟透了才摘。',
    storyEn: 'Two mu of flat-peach trees with chickens weeding underneath; no herbicide, and the fruit is picked only when fully ripe.',
    members: [{ householdKey: 'yang-chicken', weight: 1 }],
  },
  {
    key: 'huang-orchard',
    villageSlug: 'gulou',
    kind: 'household',
    nameZh: '黄大哥百香果园',
    nameEn: 'Brother Huang’s Passion Fruit',
    storyZh: '六亩百香果架，果子自然落地才捡，所以个个熟透、酸甜浓郁。',
    storyEn: 'Six mu of passion-fruit trellises. The fruit is gathered only once it drops by itself, so every one is fully ripe, tart and sweet.',
    members: [{ householdKey: 'huang-fruit', weight: 1 }],
  },
  {
    key: 'gulou-coop',
    villageSlug: 'gulou',
    kind: 'cooperative',
    nameZh: '古楼村菌菇专业合作社',
    nameEn: 'Gulou Mushroom Cooperative',
    storyZh: '东西部协作资金建起的十二个菌棚，由社员轮流管理，按出工天数分红。',
    storyEn: 'Twelve mushroom sheds built with east–west partnership funds, run by members in turns; profits are shared by days worked.',
    members: [
      { householdKey: 'qin-mushroom', weight: 5 },
      { householdKey: 'huang-fruit', weight: 1 },
      { householdKey: 'gulou-private', weight: 3 },
    ],
  },
  {
    key: 'mingmei-tea-factory',
    villageSlug: 'mingmei',
    kind: 'enterprise',
    nameZh: '明梅村瑶茶厂',
    nameEn: 'Mingmei Yao Tea Factory',
    storyZh:
      '村里第一家工厂，雇用了四户土瑶贫困户采茶、炒茶、包装。建厂那年，一位茶商上山喝了一杯，当场订下 150 公斤，每公斤 560 元，这笔钱让四户人家第一次有了存款。',
    storyEn:
      'The village’s first factory employs four poor Tuyao households to pick, fire and pack tea. In its first year a merchant climbed the mountain, drank one cup and ordered 150 kg on the spot at ¥560 a kilogram; for the four families it was the first savings they had ever had.',
    members: [
      { householdKey: 'pan-tea', weight: 1 },
      { householdKey: 'zhao-tea', weight: 1 },
      { householdKey: 'deng-tea', weight: 1 },
      { householdKey: 'mingmei-private', weight: 1 },
    ],
  },
  {
    key: 'zhao-bees',
    villageSlug: 'mingmei',
    kind: 'household',
    nameZh: '赵大叔的瑶山野蜂',
    nameEn: 'Uncle Zhao’s Mountain Bees',
    storyZh: '二十箱野蜂放在海拔八百米的石山上，冬天才取一次蜜。',
    storyEn: 'Twenty boxes of wild bees on a rocky mountain at 800 metres; honey is taken once, in winter.',
    members: [{ householdKey: 'zhao-tea', weight: 1 }],
  },
  {
    key: 'chashan-coop',
    villageSlug: 'chashan',
    kind: 'cooperative',
    nameZh: '岔山村油茶合作社',
    nameEn: 'Chashan Camellia Cooperative',
    storyZh: '老油茶林连片管护，统一用木榨冷榨，也帮社员代卖脐橙和腊肉。',
    storyEn:
      'The old camellia groves are tended together and cold-pressed in a wooden press; the cooperative also sells members’ navel oranges and cured pork.',
    members: [
      { householdKey: 'he-oil', weight: 3 },
      { householdKey: 'mao-oil', weight: 2 },
    ],
  },
];

const noTiers: SeedProduct['tiers'] = [];

export const PRODUCTS: SeedProduct[] = [
  {
    slug: 'tuyao-tea',
    producerKey: 'mingmei-tea-factory',
    projectSlug: 'shen-he-xiezuo',
    category: 'tea',
    unit: 'kg',
    titleZh: '土瑶茶',
    titleEn: 'Tuyao Mountain Tea',
    descriptionZh: '明梅村高山云雾绿茶，一芽两叶手工采摘，大铁锅杀青。按公斤出售，真空分装，每袋 250 克。10 公斤以上享批发价。',
    descriptionEn:
      'High-mountain green tea from Mingmei, hand-picked at one bud and two leaves and fired in an iron wok. Sold by the kilogram, vacuum-packed in 250 g pouches. Wholesale prices from 10 kg.',
    storyZh: '这就是那位茶商一次买走 150 公斤的茶。茶树长在石缝里，一年只采春茶，汤色清亮，回甘很长。',
    storyEn:
      'This is the tea the merchant bought 150 kg of in one go. The bushes grow between rocks and are picked only in spring; the liquor is bright and the sweet aftertaste lingers.',
    priceFen: 56000,
    stock: 180,
    minOrderQty: 1,
    maxRetailQty: 50,
    lowStockThreshold: 20,
    published: true,
    featured: true,
    soldCount: 168,
    listedDaysAgo: 150,
    tiers: [
      { minQty: 10, priceFen: 52000 },
      { minQty: 100, priceFen: 50000 },
    ],
    motif: 'tea',
  },
  {
    slug: 'tuyao-black-tea',
    producerKey: 'mingmei-tea-factory',
    projectSlug: 'shen-he-xiezuo',
    category: 'tea',
    unit: 'box',
    titleZh: '土瑶红茶礼盒',
    titleEn: 'Tuyao Black Tea Gift Box',
    descriptionZh: '夏秋茶发酵制成的红茶，带蜜香。每盒 250 克，内分 10 小袋。',
    descriptionEn: 'Black tea from the summer and autumn leaf, with a honeyed note. 250 g per box in 10 sachets.',
    storyZh: '春茶之后的叶子过去没人要，瑶茶厂学会做红茶后，四户人家一年多了两季收入。',
    storyEn:
      'The leaves after the spring harvest used to go to waste. Once the factory learned to make black tea, the four families gained two more seasons of income.',
    priceFen: 12800,
    stock: 64,
    minOrderQty: 1,
    maxRetailQty: 30,
    lowStockThreshold: 10,
    published: true,
    featured: false,
    soldCount: 72,
    listedDaysAgo: 40,
    tiers: [{ minQty: 20, priceFen: 11800 }],
    motif: 'tea',
  },
  {
    slug: 'meiyaogou-yuba',
    producerKey: 'li-yuba',
    projectSlug: 'meiyaogou-chanye',
    category: 'dried-goods',
    unit: 'jin',
    titleZh: '手工腐竹',
    titleEn: 'Handmade Yuba (Dried Tofu Skin)',
    descriptionZh: '本地黄豆、山泉水、柴火慢煮，自然晾干，无添加。每斤约 500 克，泡发后凉拌、炖肉都好。',
    descriptionEn: 'Local soybeans, spring water, a slow wood fire and air drying; nothing added. About 500 g per jin; soak it for salads or braises.',
    storyZh: '第一书记带到深圳的第一批货就是李大叔的腐竹，现在深圳的公益超市每周都要补货。',
    storyEn: 'The first shipment the first secretary took to Shenzhen was Uncle Li’s yuba; now the Shenzhen charity supermarkets restock it every week.',
    priceFen: 2800,
    stock: 120,
    minOrderQty: 2,
    maxRetailQty: 40,
    lowStockThreshold: 15,
    published: true,
    featured: true,
    soldCount: 412,
    listedDaysAgo: 170,
    tiers: [{ minQty: 20, priceFen: 2500 }],
    motif: 'yuba',
  },
  {
    slug: 'meiyaogou-honey',
    producerKey: 'wang-apiary',
    projectSlug: 'meiyaogou-chanye',
    category: 'honey',
    unit: 'jar',
    titleZh: '煤窑沟土蜂蜜',
    titleEn: 'Meiyaogou Wild Honey',
    descriptionZh: '中华土蜂百花蜜，成熟蜜，天冷会自然结晶。每罐 500 克，玻璃瓶装。',
    descriptionEn: 'Multi-flower honey from native Chinese bees, fully matured in the comb; it crystallises naturally in the cold. 500 g glass jar.',
    storyZh: '王阿姨一年只取两次蜜，宁可少卖也不取嫩蜜。',
    storyEn: 'Auntie Wang takes honey only twice a year; she would rather sell less than harvest it unripe.',
    priceFen: 6800,
    stock: 45,
    minOrderQty: 1,
    maxRetailQty: 20,
    lowStockThreshold: 8,
    published: true,
    featured: true,
    soldCount: 236,
    listedDaysAgo: 160,
    tiers: noTiers,
    motif: 'honey',
  },
  {
    slug: 'locust-flower-honey',
    producerKey: 'wang-apiary',
    projectSlug: 'meiyaogou-chanye',
    category: 'honey',
    unit: 'jar',
    titleZh: '槐花蜜',
    titleEn: 'Locust Blossom Honey',
    descriptionZh: '五月槐花开时取的单花蜜，颜色浅、味道清香。每罐 500 克。',
    descriptionEn: 'Single-flower honey taken when the locust trees bloom in May: pale, light and fragrant. 500 g jar.',
    storyZh: '槐花只开十来天，今年的槐花蜜只有这么多，卖完就要等明年五月。',
    storyEn: 'The locust trees bloom for barely ten days; when this year’s jars are gone, the next wait until May.',
    priceFen: 5800,
    stock: 3,
    minOrderQty: 1,
    maxRetailQty: 5,
    lowStockThreshold: 5,
    published: true,
    featured: false,
    soldCount: 97,
    listedDaysAgo: 95,
    tiers: noTiers,
    motif: 'honey',
  },
  {
    slug: 'meiyaogou-eggs',
    producerKey: 'meiyaogou-coop',
    projectSlug: 'fupin-xianfuzhi',
    category: 'eggs-poultry',
    unit: 'box',
    titleZh: '核桃林散养土鸡蛋 30 枚',
    titleEn: 'Free-Range Eggs from the Walnut Grove, 30',
    descriptionZh: '母鸡在核桃林里吃草籽和虫子，蛋黄颜色深、蛋清浓稠。每盒 30 枚，防震蛋托包装。',
    descriptionEn: 'Hens forage for seeds and insects under the walnut trees; deep yolks and thick whites. 30 eggs per box in shockproof trays.',
    storyZh: '每天下午合作社收蛋、照蛋、装箱，傍晚跟着腐竹和蜂蜜一起发往深圳。',
    storyEn: 'Each afternoon the cooperative collects, candles and packs the eggs, and by evening they leave for Shenzhen with the yuba and honey.',
    priceFen: 4500,
    stock: 60,
    minOrderQty: 1,
    maxRetailQty: 10,
    lowStockThreshold: 10,
    published: true,
    featured: true,
    soldCount: 530,
    listedDaysAgo: 165,
    tiers: noTiers,
    motif: 'eggs',
  },
  {
    slug: 'dengfeng-millet',
    producerKey: 'meiyaogou-coop',
    projectSlug: 'fupin-xianfuzhi',
    category: 'grain-oil',
    unit: 'bag',
    titleZh: '嵩山小米',
    titleEn: 'Songshan Millet',
    descriptionZh: '山坡旱地种的黄小米，熬粥有米油。每袋 2.5 公斤。',
    descriptionEn: 'Golden millet from dry hillside fields; it makes a porridge with a rich skin. 2.5 kg bag.',
    storyZh: '坡地不好种麦子，老人们就种小米，一季只收一次。',
    storyEn: 'The slopes are too poor for wheat, so the old folk grow millet, one harvest a year.',
    priceFen: 3900,
    stock: 80,
    minOrderQty: 1,
    maxRetailQty: 20,
    lowStockThreshold: 10,
    published: true,
    featured: false,
    soldCount: 188,
    listedDaysAgo: 120,
    tiers: [{ minQty: 10, priceFen: 3500 }],
    motif: 'grain',
  },
  {
    slug: 'dengfeng-walnuts',
    producerKey: 'meiyaogou-coop',
    projectSlug: 'fupin-xianfuzhi',
    category: 'dried-goods',
    unit: 'jin',
    titleZh: '薄皮核桃',
    titleEn: 'Thin-Shell Walnuts',
    descriptionZh: '张大姐屋后核桃林的秋核桃，手一捏就开，果仁饱满。按斤卖。',
    descriptionEn: 'Autumn walnuts from the grove behind Sister Zhang’s house; they crack in your hand, with plump kernels. Sold by the jin.',
    storyZh: '核桃树是张大姐的公公种下的，现在树下养着鸡，树上结着核桃。',
    storyEn: 'Sister Zhang’s father-in-law planted these trees; now hens live underneath and walnuts grow above.',
    priceFen: 2200,
    stock: 95,
    minOrderQty: 2,
    maxRetailQty: null,
    lowStockThreshold: 10,
    published: true,
    featured: false,
    soldCount: 143,
    listedDaysAgo: 75,
    tiers: noTiers,
    motif: 'walnut',
  },
  {
    slug: 'sweet-potato-noodles',
    producerKey: 'meiyaogou-coop',
    projectSlug: 'meiyaogou-chanye',
    category: 'dried-goods',
    unit: 'bag',
    titleZh: '红薯粉条',
    titleEn: 'Sweet Potato Glass Noodles',
    descriptionZh: '纯红薯淀粉手工漏制，冬天冻过再晒干，久煮不烂。每袋 1 公斤。',
    descriptionEn: 'Pure sweet-potato starch, hand-extruded, frozen in winter and then sun-dried, so it stays firm however long it cooks. 1 kg bag.',
    storyZh: '腊月里全村人一起漏粉条，是煤窑沟最热闹的几天。',
    storyEn: 'Making noodles together in the last month of the year is the liveliest time in Meiyaogou.',
    priceFen: 3200,
    stock: 70,
    minOrderQty: 1,
    maxRetailQty: 20,
    lowStockThreshold: 10,
    published: true,
    featured: false,
    soldCount: 121,
    listedDaysAgo: 55,
    tiers: noTiers,
    motif: 'noodles',
  },
  {
    slug: 'dengfeng-sichuan-pepper',
    producerKey: 'meiyaogou-coop',
    projectSlug: 'meiyaogou-chanye',
    category: 'spices',
    unit: 'bag',
    titleZh: '大红袍花椒',
    titleEn: 'Red Sichuan Peppercorns',
    descriptionZh: '石坡上种的大红袍花椒，麻味足、香气浓，去籽去枝。每袋 250 克。',
    descriptionEn: 'Dahongpao peppercorns from stony slopes: strongly numbing and fragrant, seeds and stems removed. 250 g bag.',
    storyZh: '花椒树耐旱，种在煤窑塌陷过的坡上，既保水土又多一份收入。',
    storyEn: 'Pepper trees stand the drought; planted on slopes where old pits subsided, they hold the soil and bring in extra income.',
    priceFen: 2800,
    stock: 4,
    minOrderQty: 1,
    maxRetailQty: 10,
    lowStockThreshold: 5,
    published: true,
    featured: false,
    soldCount: 64,
    listedDaysAgo: 30,
    tiers: noTiers,
    motif: 'pepper',
  },
  {
    slug: 'grain-gift-box',
    producerKey: 'meiyaogou-coop',
    projectSlug: 'fupin-xianfuzhi',
    category: 'grain-oil',
    unit: 'box',
    titleZh: '嵩山杂粮礼盒',
    titleEn: 'Songshan Grains Gift Box',
    descriptionZh: '小米、绿豆、红豆、玉米糁各 500 克，节日礼盒装。',
    descriptionEn: 'Millet, mung beans, red beans and cornmeal, 500 g each, in a festive gift box.',
    storyZh: '为春节团购准备的礼盒，包装还在打样。',
    storyEn: 'A gift box for Spring Festival group orders; the packaging is still being sampled.',
    priceFen: 8800,
    stock: 30,
    minOrderQty: 1,
    maxRetailQty: 20,
    lowStockThreshold: 5,
    published: false,
    featured: false,
    soldCount: 0,
    listedDaysAgo: 3,
    tiers: [{ minQty: 10, priceFen: 7900 }],
    motif: 'grain',
  },
  {
    slug: 'tiger-head-shoes',
    producerKey: 'liu-embroidery',
    projectSlug: 'qiaoshou-xiuniang',
    category: 'handicrafts',
    unit: 'pair',
    titleZh: '手工虎头鞋',
    titleEn: 'Hand-Embroidered Tiger-Head Shoes',
    descriptionZh: '纯棉布面、千层布底，虎头全手工刺绣。适合 6–18 个月宝宝，下单后可备注鞋码（11/12/13 厘米）。',
    descriptionEn:
      'Cotton uppers, layered cloth soles and a fully hand-embroidered tiger face. For babies of 6–18 months; note the size (11, 12 or 13 cm) with your order.',
    storyZh: '刘大姐腿脚不便，绣了三十年虎头鞋却只能托人在集上卖。社工把她的鞋带进城，第一个月就接了四十多双订单。',
    storyEn:
      'Sister Liu cannot walk far; for thirty years her tiger-head shoes were sold by neighbours at the market fair. Social workers brought them to the city, and she took over forty orders in the first month.',
    priceFen: 16800,
    stock: 6,
    minOrderQty: 1,
    maxRetailQty: 5,
    lowStockThreshold: 5,
    published: true,
    featured: true,
    soldCount: 89,
    listedDaysAgo: 140,
    tiers: noTiers,
    motif: 'shoe',
  },
  {
    slug: 'tiger-head-pillow',
    producerKey: 'liu-embroidery',
    projectSlug: 'qiaoshou-xiuniang',
    category: 'handicrafts',
    unit: 'jian',
    titleZh: '虎头枕',
    titleEn: 'Tiger-Head Pillow',
    descriptionZh: '荞麦壳填充的小虎枕，长约 30 厘米，虎头手绣，可做宝宝枕或摆件。',
    descriptionEn: 'A small tiger pillow filled with buckwheat husks, about 30 cm long, with a hand-embroidered face; a baby pillow or a keepsake.',
    storyZh: '一只虎头枕要绣一个星期，这一批已经全部卖完，刘大姐正在绣下一批。',
    storyEn: 'One pillow takes a week to embroider. This batch has sold out and Sister Liu is stitching the next.',
    priceFen: 12800,
    stock: 0,
    minOrderQty: 1,
    maxRetailQty: 3,
    lowStockThreshold: 2,
    published: true,
    featured: false,
    soldCount: 35,
    listedDaysAgo: 100,
    tiers: noTiers,
    motif: 'pillow',
  },
  {
    slug: 'embroidered-insoles',
    producerKey: 'mengzhuang-coop',
    projectSlug: 'qiaoshou-xiuniang',
    category: 'handicrafts',
    unit: 'pair',
    titleZh: '手绣鞋垫',
    titleEn: 'Hand-Embroidered Insoles',
    descriptionZh: '纯棉十字绣鞋垫，图案有牡丹、石榴、鸳鸯，吸汗透气。两双起售，备注鞋码（35–45）。',
    descriptionEn:
      'Cotton cross-stitch insoles with peony, pomegranate or mandarin-duck patterns; absorbent and breathable. Minimum two pairs; note your shoe size (35–45).',
    storyZh: '孙奶奶说，鞋垫上的石榴是多子多福，牡丹是富贵平安。',
    storyEn: 'Granny Sun says the pomegranate on an insole wishes you many children and the peony wishes you peace and plenty.',
    priceFen: 3500,
    stock: 48,
    minOrderQty: 2,
    maxRetailQty: 20,
    lowStockThreshold: 6,
    published: true,
    featured: false,
    soldCount: 207,
    listedDaysAgo: 110,
    tiers: [{ minQty: 10, priceFen: 3000 }],
    motif: 'insole',
  },
  {
    slug: 'wormwood-sachet',
    producerKey: 'mengzhuang-coop',
    projectSlug: 'qiaoshou-xiuniang',
    category: 'handicrafts',
    unit: 'jian',
    titleZh: '端午艾草香包',
    titleEn: 'Dragon Boat Wormwood Sachet',
    descriptionZh: '手绣布面，内装艾草、苍术等草药，挂在车里或床头。每件一个。',
    descriptionEn: 'A hand-embroidered pouch of mugwort and other herbs to hang in a car or by the bed. One per item.',
    storyZh: '端午前一个月绣娘们就开始赶工，城里的幼儿园每年都来团购。',
    storyEn: 'The embroiderers start a month before the Dragon Boat Festival; city kindergartens order them every year.',
    priceFen: 2800,
    stock: 150,
    minOrderQty: 1,
    maxRetailQty: 50,
    lowStockThreshold: 10,
    published: true,
    featured: false,
    soldCount: 318,
    listedDaysAgo: 20,
    tiers: [{ minQty: 20, priceFen: 2400 }],
    motif: 'sachet',
  },
  {
    slug: 'xiaoji-free-range-chicken',
    producerKey: 'shibantan-coop',
    projectSlug: 'xiaoji-kuaipao',
    category: 'eggs-poultry',
    unit: 'jian',
    titleZh: '小鸡快跑·山坡土鸡',
    titleEn: 'Chicks Run Hillside Chicken',
    descriptionZh: '山坡散养 300 天以上的土鸡，宰杀后冷冻，每只约 1.5 公斤，顺丰冷链发货。',
    descriptionEn: 'Hillside chickens raised free-range for over 300 days, dressed and frozen, about 1.5 kg each; shipped by cold-chain courier.',
    storyZh: '“小鸡快跑”募集的 13 万元善款买来了第一批鸡苗。一年后，这些鸡变成了农户的第一笔收入。',
    storyEn: 'The ¥130,000 raised by Chicks Run bought the first chicks. A year later those chickens became the households’ first income.',
    priceFen: 12800,
    stock: 26,
    minOrderQty: 1,
    maxRetailQty: 10,
    lowStockThreshold: 5,
    published: true,
    featured: true,
    soldCount: 276,
    listedDaysAgo: 90,
    tiers: [{ minQty: 5, priceFen: 11800 }],
    motif: 'chicken',
  },
  {
    slug: 'xiaoji-eggs-dozen',
    producerKey: 'shibantan-coop',
    projectSlug: 'xiaoji-kuaipao',
    category: 'eggs-poultry',
    unit: 'dozen',
    titleZh: '小鸡快跑·土鸡蛋',
    titleEn: 'Chicks Run Free-Range Eggs',
    descriptionZh: '按打出售，每打 12 枚，当天捡的蛋当天发。',
    descriptionEn: 'Sold by the dozen; eggs collected in the morning leave the same day.',
    storyZh: '周大哥每天清早挨个鸡窝捡蛋，一百多个蛋要捡一个小时。',
    storyEn: 'Every morning Brother Zhou checks each nest in turn; gathering a hundred-odd eggs takes him an hour.',
    priceFen: 2600,
    stock: 90,
    minOrderQty: 2,
    maxRetailQty: 20,
    lowStockThreshold: 12,
    published: true,
    featured: false,
    soldCount: 452,
    listedDaysAgo: 85,
    tiers: noTiers,
    motif: 'eggs',
  },
  {
    slug: 'salted-duck-eggs',
    producerKey: 'shibantan-coop',
    projectSlug: 'xiaoji-kuaipao',
    category: 'eggs-poultry',
    unit: 'box',
    titleZh: '黄泥腌咸鸭蛋 20 枚',
    titleEn: 'Clay-Cured Salted Duck Eggs, 20',
    descriptionZh: '塘边放养的麻鸭蛋，黄泥加盐腌足 30 天，煮熟后流油起沙。每盒 20 枚。',
    descriptionEn: 'Eggs from ducks raised by the pond, cured in salted clay for 30 days; cooked, the yolks are sandy and oily. 20 per box.',
    storyZh: '陈阿婆的腌蛋手艺是跟她母亲学的，泥和盐的比例从不外传。',
    storyEn: 'Granny Chen learned to cure eggs from her mother and never tells anyone the ratio of clay to salt.',
    priceFen: 4200,
    stock: 2,
    minOrderQty: 1,
    maxRetailQty: 6,
    lowStockThreshold: 5,
    published: true,
    featured: false,
    soldCount: 58,
    listedDaysAgo: 25,
    tiers: noTiers,
    motif: 'eggs',
  },
  {
    slug: 'shibantan-flat-peaches',
    producerKey: 'yang-orchard',
    projectSlug: 'xiaoji-kuaipao',
    category: 'fruit',
    unit: 'box',
    titleZh: '石板滩蟠桃',
    titleEn: 'Shibantan Flat Peaches',
    descriptionZh: '树上熟透才摘的蟠桃，皮薄多汁。每箱 2.5 公斤，约 16 个。',
    descriptionEn: 'Flat peaches picked only when tree-ripe, thin-skinned and juicy. 2.5 kg box, about 16 peaches.',
    storyZh: '今年的蟠桃已经卖完了，明年六月再见。',
    storyEn: 'This year’s peaches have sold out; see you again in June.',
    priceFen: 6800,
    stock: 0,
    minOrderQty: 1,
    maxRetailQty: 10,
    lowStockThreshold: 5,
    published: true,
    featured: false,
    soldCount: 164,
    listedDaysAgo: 130,
    tiers: noTiers,
    motif: 'peach',
  },
  {
    slug: 'gulou-passion-fruit',
    producerKey: 'huang-orchard',
    projectSlug: 'shen-he-xiezuo',
    category: 'fruit',
    unit: 'box',
    titleZh: '古楼百香果',
    titleEn: 'Gulou Passion Fruit',
    descriptionZh: '紫皮百香果，自然落果，皱皮更甜。每箱 2.5 公斤（5 斤），约 40 个。',
    descriptionEn: 'Purple passion fruit gathered after it falls; the wrinkled ones are sweetest. 2.5 kg box (5 jin), about 40 fruit.',
    storyZh: '黄大哥说，在深圳打工时最想的就是家里的百香果，现在他把它们寄回深圳。',
    storyEn: 'Brother Huang says the thing he missed most in Shenzhen was the passion fruit at home. Now he sends it back to Shenzhen.',
    priceFen: 3980,
    stock: 55,
    minOrderQty: 1,
    maxRetailQty: 10,
    lowStockThreshold: 10,
    published: true,
    featured: true,
    soldCount: 301,
    listedDaysAgo: 45,
    tiers: noTiers,
    motif: 'passionfruit',
  },
  {
    slug: 'gulou-shiitake',
    producerKey: 'gulou-coop',
    projectSlug: 'shen-he-xiezuo',
    category: 'dried-goods',
    unit: 'bag',
    titleZh: '椴木香菇',
    titleEn: 'Log-Grown Shiitake',
    descriptionZh: '椴木栽培的花菇，低温烘干，香味浓。每袋 500 克。',
    descriptionEn: 'Flower shiitake grown on hardwood logs and dried at low temperature for a deep aroma. 500 g bag.',
    storyZh: '十二个菌棚是深圳对口帮扶的资金建的，覃阿姨每天要在棚里走上几十趟。',
    storyEn: 'Shenzhen partnership funds built the twelve sheds; Auntie Qin walks through them dozens of times a day.',
    priceFen: 4800,
    stock: 75,
    minOrderQty: 1,
    maxRetailQty: 20,
    lowStockThreshold: 10,
    published: true,
    featured: false,
    soldCount: 196,
    listedDaysAgo: 65,
    tiers: [{ minQty: 10, priceFen: 4300 }],
    motif: 'mushroom',
  },
  {
    slug: 'gulou-black-fungus',
    producerKey: 'gulou-coop',
    projectSlug: 'shen-he-xiezuo',
    category: 'dried-goods',
    unit: 'bag',
    titleZh: '黑木耳',
    titleEn: 'Black Wood-Ear Fungus',
    descriptionZh: '秋耳，朵小肉厚，泡发率高。每袋 250 克。',
    descriptionEn: 'Autumn-harvested wood ear: small, thick and plump once soaked. 250 g bag.',
    storyZh: '木耳和香菇轮着种，菌棚一年四季都不闲。',
    storyEn: 'Wood ear alternates with shiitake, so the sheds are busy all year round.',
    priceFen: 3600,
    stock: 68,
    minOrderQty: 1,
    maxRetailQty: 20,
    lowStockThreshold: 10,
    published: true,
    featured: false,
    soldCount: 129,
    listedDaysAgo: 60,
    tiers: noTiers,
    motif: 'fungus',
  },
  {
    slug: 'gulou-wild-mushrooms',
    producerKey: 'gulou-coop',
    projectSlug: 'shen-he-xiezuo',
    category: 'dried-goods',
    unit: 'bag',
    titleZh: '山林野生菌干',
    titleEn: 'Dried Wild Forest Mushrooms',
    descriptionZh: '雨季山林里采的红菇、鸡枞等野生菌，晒干混装。每袋 200 克。',
    descriptionEn: 'Red mushrooms, termite mushrooms and other wild fungi gathered in the rainy season and sun-dried together. 200 g bag.',
    storyZh: '每一批都要送检、由懂行的老人逐朵挑拣，检测报告出来后才上架。',
    storyEn: 'Every batch is lab-tested and sorted piece by piece by elders who know their mushrooms; it goes on sale only when the report is back.',
    priceFen: 8800,
    stock: 20,
    minOrderQty: 1,
    maxRetailQty: 5,
    lowStockThreshold: 5,
    published: false,
    featured: false,
    soldCount: 0,
    listedDaysAgo: 5,
    tiers: noTiers,
    motif: 'mushroom',
  },
  {
    slug: 'yaoshan-winter-honey',
    producerKey: 'zhao-bees',
    projectSlug: 'shen-he-xiezuo',
    category: 'honey',
    unit: 'jar',
    titleZh: '瑶山冬蜜',
    titleEn: 'Yao Mountain Winter Honey',
    descriptionZh: '鸭脚木花期的冬蜜，微苦回甘，易结晶。每罐 500 克。',
    descriptionEn: 'Winter honey from the schefflera bloom: faintly bitter with a sweet finish, quick to crystallise. 500 g jar.',
    storyZh: '赵大叔的蜂箱放在茶山更高处，采完茶才有空上山照看。',
    storyEn: 'Uncle Zhao’s hives sit above the tea gardens; he climbs up to tend them once the tea is in.',
    priceFen: 8800,
    stock: 18,
    minOrderQty: 1,
    maxRetailQty: 10,
    lowStockThreshold: 5,
    published: true,
    featured: false,
    soldCount: 47,
    listedDaysAgo: 15,
    tiers: noTiers,
    motif: 'honey',
  },
  {
    slug: 'chashan-camellia-oil',
    producerKey: 'chashan-coop',
    projectSlug: 'shen-he-xiezuo',
    category: 'grain-oil',
    unit: 'bottle',
    titleZh: '木榨茶籽油',
    titleEn: 'Wood-Pressed Camellia Seed Oil',
    descriptionZh: '老油茶林的茶籽，晒干后木榨冷榨，沉淀过滤，无勾兑。每瓶 500 毫升。',
    descriptionEn: 'Seeds from old camellia groves, sun-dried, cold-pressed in a wooden press, settled and filtered; never blended. 500 ml bottle.',
    storyZh: '何大叔家的木榨是爷爷留下的，每年霜降前后，全村人来帮忙榨油。',
    storyEn: 'The wooden press at Uncle He’s was his grandfather’s; each year around the first frost the whole village comes to help.',
    priceFen: 8800,
    stock: 40,
    minOrderQty: 1,
    maxRetailQty: 12,
    lowStockThreshold: 8,
    published: true,
    featured: true,
    soldCount: 222,
    listedDaysAgo: 80,
    tiers: [{ minQty: 12, priceFen: 7800 }],
    motif: 'bottle',
  },
  {
    slug: 'fuchuan-navel-oranges',
    producerKey: 'chashan-coop',
    projectSlug: 'shen-he-xiezuo',
    category: 'fruit',
    unit: 'box',
    titleZh: '富川脐橙',
    titleEn: 'Fuchuan Navel Oranges',
    descriptionZh: '山坡果园的脐橙，化渣多汁。每箱 5 公斤，约 20 个。',
    descriptionEn: 'Navel oranges from hillside orchards, tender and juicy. 5 kg box, about 20 oranges.',
    storyZh: '橙子熟的时候正赶上冬至，深圳的工会每年都来订一批过节。',
    storyEn: 'The oranges ripen around the winter solstice, and Shenzhen trade unions order a batch for the holidays every year.',
    priceFen: 5980,
    stock: 110,
    minOrderQty: 1,
    maxRetailQty: 10,
    lowStockThreshold: 10,
    published: true,
    featured: false,
    soldCount: 389,
    listedDaysAgo: 10,
    tiers: [{ minQty: 10, priceFen: 5280 }],
    motif: 'orange',
  },
  {
    slug: 'yao-smoked-pork',
    producerKey: 'chashan-coop',
    projectSlug: 'shen-he-xiezuo',
    category: 'dried-goods',
    unit: 'jin',
    titleZh: '瑶家柴火腊肉',
    titleEn: 'Yao Wood-Smoked Cured Pork',
    descriptionZh: '农家土猪五花肉，盐腌后用油茶壳烟熏二十天。按斤卖，真空包装。',
    descriptionEn: 'Farm-raised pork belly, salted and smoked over camellia husks for twenty days. Sold by the jin, vacuum-packed.',
    storyZh: '毛阿婆家的腊肉挂在灶台上方，一年只熏一季。',
    storyEn: 'Granny Mao’s pork hangs above the stove; she smokes only one batch a year.',
    priceFen: 6800,
    stock: 35,
    minOrderQty: 1,
    maxRetailQty: 10,
    lowStockThreshold: 5,
    published: true,
    featured: false,
    soldCount: 83,
    listedDaysAgo: 7,
    tiers: noTiers,
    motif: 'pork',
  },
];
