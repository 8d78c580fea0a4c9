import { eq } from 'drizzle-orm';
import { users } from '../accounts/schema.js';
import { products } from '../catalog/schema.js';
import { one, type Query, run, type Tx } from '../db/unit-of-work.js';
import { lotHouseholds, lots } from '../lots/schema.js';
import { wishes } from '../wishes/schema.js';
import type { SeedIds } from './seed.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** YYYY-MM-DD in China Standard Time. */
const isoDay = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);

/** Open micro-wishes of children in the programmes' villages: a first name or pseudonym and an age, never more. */
const WISHES = [
  {
    projectSlug: 'fupin-xianfuzhi',
    childName: '小花',
    childAge: 8,
    item: '新书包',
    itemEn: 'A new school bag',
    amountFen: 12000,
    story: '小花上二年级，书包是姐姐用过的，拉链坏了，每天用绳子扎着背去学校。她说想要一个能装下画画本的书包。',
    storyEn:
      'Xiaohua is in second grade. Her bag was her sister’s and the zip is broken, so she ties it with string every day. She wants one big enough for her drawing book.',
    postedDaysAgo: 6,
  },
  {
    projectSlug: 'fupin-xianfuzhi',
    childName: '小军',
    childAge: 11,
    item: '羽绒服',
    itemEn: 'A down jacket',
    amountFen: 28000,
    story: '小军和奶奶住在山上，冬天走四十分钟山路去学校。去年的棉袄已经短了一截，袖口磨破了。',
    storyEn:
      'Xiaojun lives with his grandmother on the mountain and walks forty minutes to school in winter. Last year’s padded coat is too short and worn through at the cuffs.',
    postedDaysAgo: 4,
  },
  {
    projectSlug: 'fupin-xianfuzhi',
    childName: '阿兰',
    childAge: 10,
    item: '新华字典',
    itemEn: 'A Xinhua dictionary',
    amountFen: 6000,
    story: '阿兰喜欢读书，可班上三个同学共用一本字典。她想要一本自己的字典，晚上在家也能查生字。',
    storyEn: 'A’lan loves reading, but three classmates share one dictionary. She would like her own, to look up new characters at home in the evening.',
    postedDaysAgo: 3,
  },
  {
    projectSlug: 'xiaoji-kuaipao',
    childName: '小石头',
    childAge: 12,
    item: '篮球',
    itemEn: 'A basketball',
    amountFen: 15000,
    story: '小石头是村小篮球队的队长，球队只有一个漏气的旧球。他说有了新球，就能带低年级的同学一起练。',
    storyEn:
      'Xiaoshitou captains the village school’s basketball team, which has only one old ball that leaks. With a new one he could train the younger pupils too.',
    postedDaysAgo: 2,
  },
  {
    projectSlug: 'xiaoji-kuaipao',
    childName: '丫丫',
    childAge: 6,
    item: '绘本和彩笔',
    itemEn: 'Picture books and coloured pens',
    amountFen: 9000,
    story: '丫丫刚上一年级，爸爸妈妈在外打工。她最喜欢画鸡和小狗，想要一盒彩笔和几本绘本。',
    storyEn:
      'Yaya has just started first grade; her parents work in the city. She loves drawing chickens and puppies, and wishes for a box of coloured pens and a few picture books.',
    postedDaysAgo: 1,
  },
] as const;

/**
 * Harvest lots of the demo products: each product's current stock split across two lots with
 * different dates and source households (households of the product's own village).
 */
const LOTS = [
  {
    productSlug: 'meiyaogou-honey',
    lots: [
      {
        code: 'MYG-HONEY-SPRING',
        harvestedDaysAgo: 190,
        share: 20,
        households: ['wang-honey', 'zhang-eggs', 'meiyaogou-private'],
        notes: '春季槐花、荆条混合蜜，成熟蜜封盖后取。',
      },
      { code: 'MYG-HONEY-AUTUMN', harvestedDaysAgo: 40, share: null, households: ['wang-honey'], notes: '秋季百花蜜，天冷后会自然结晶。' },
    ],
  },
  {
    productSlug: 'tuyao-tea',
    lots: [
      {
        code: 'MM-TEA-MINGQIAN',
        harvestedDaysAgo: 235,
        share: 100,
        households: ['pan-tea', 'zhao-tea', 'deng-tea', 'mingmei-private'],
        notes: '明前春茶，一芽两叶手工采摘，大铁锅杀青。',
      },
      { code: 'MM-TEA-YUQIAN', harvestedDaysAgo: 218, share: null, households: ['pan-tea', 'zhao-tea'], notes: '雨前春茶。' },
    ],
  },
] as const;

/**
 * Demo micro-wishes (open, posted by the demo coordinator) and harvest lots. Runs inside the seed
 * transaction after the catalogue and the demo accounts; lot units equal the stock already seeded,
 * so no stock changes.
 */
export function* seedWishesAndLots(tx: Tx, ids: SeedIds, now: number): Query<void> {
  const coordinator = yield* one(tx.select({ id: users.id }).from(users).where(eq(users.email, 'coordinator@xiangyi.test')));
  for (const w of WISHES) {
    const projectId = ids.projects.get(w.projectSlug);
    if (projectId === undefined) throw new Error(`demo wish refers to unknown project ${w.projectSlug}`);
    yield* run(
      tx.insert(wishes).values({
        projectId,
        childName: w.childName,
        childAge: w.childAge,
        item: w.item,
        itemEn: w.itemEn,
        amountFen: w.amountFen,
        story: w.story,
        storyEn: w.storyEn,
        photoConsent: false,
        status: 'open',
        postedByUserId: coordinator?.id ?? null,
        createdAt: now - w.postedDaysAgo * DAY_MS,
      }),
    );
  }

  for (const p of LOTS) {
    const productId = ids.products.get(p.productSlug);
    if (productId === undefined) throw new Error(`demo lot refers to unknown product ${p.productSlug}`);
    const product = yield* one(tx.select({ stock: products.stock }).from(products).where(eq(products.id, productId)));
    let left = product?.stock ?? 0;
    for (const lot of p.lots) {
      // The last lot holds whatever the earlier ones leave of the stock.
      const units = lot.share === null ? left : Math.min(lot.share, left);
      if (units <= 0) continue;
      left -= units;
      const harvestedAt = now - lot.harvestedDaysAgo * DAY_MS;
      const row = yield* one(
        tx
          .insert(lots)
          .values({
            productId,
            code: lot.code,
            harvestedOn: isoDay(harvestedAt),
            quantity: units,
            remaining: units,
            notes: lot.notes,
            createdAt: harvestedAt + 3 * DAY_MS,
          })
          .returning({ id: lots.id }),
      );
      if (!row) throw new Error(`demo lot ${lot.code} was not inserted`);
      for (const key of lot.households) {
        const householdId = ids.households.get(key);
        if (householdId === undefined) throw new Error(`demo lot refers to unknown household ${key}`);
        yield* run(tx.insert(lotHouseholds).values({ lotId: row.id, householdId }));
      }
    }
  }
}
