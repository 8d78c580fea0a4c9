// Builds a scale database for the benchmark: the normal demo seed, then (raw prepared INSERTs in
// big transactions) thousands of products, a month of paid orders with lines, shipments and
// payments, and their ledger postings with an unbroken hash chain, plus weekly payouts.
//
// Usable on its own: npx tsx bench/generate.ts /tmp/x.db [--quick]
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { migrateDatabase, openDatabase } from '../src/db/client.js';
import { seedDemoData } from '../src/demo/seed.js';
import { allocateLine, type SplitRule } from '../src/ledger/allocation.js';
import { accountCode, checkLedger, GENESIS_HASH, transactionDigest, type AccountRef, type PostingEntry } from '../src/ledger/ledger-service.js';
import { shippingFeeFor } from '../src/orders/pricing.js';
import { formatDate, monthBounds, periodOf } from '../src/time.js';

export interface Scale {
  /** Products added to the demo catalogue. */
  products: number;
  /** Paid orders. */
  orders: number;
  /** Ledger entries the generated postings must at least reach. */
  minEntries: number;
}

export const FULL_SCALE: Scale = { products: 10_000, orders: 200_000, minEntries: 1_000_000 };
export const QUICK_SCALE: Scale = { products: 1_000, orders: 20_000, minEntries: 100_000 };

export interface GeneratedData {
  counts: {
    products: number;
    orders: number;
    orderLines: number;
    shipments: number;
    payments: number;
    ledgerTransactions: number;
    ledgerEntries: number;
    payouts: number;
  };
  timings: { demoSeedMs: number; bulkMs: number; totalMs: number; verifyMs: number };
  ledgerCheck: { transactions: number; problems: number };
  /** The household whose account has the most entries (the statement benchmark). */
  busiestHousehold: { id: number; entries: number };
  /** Published products with ample stock, minimum 1, no retail cap: what the checkout buyers buy. */
  checkoutProducts: { id: number; slug: string }[];
  /** A product page to load-test. */
  productSlug: string;
  /** The accounting period (YYYY-MM, CST) most generated orders fall in. */
  period: string;
  now: number;
}

const DAY_MS = 24 * 3600_000;
const RECEIPT_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const VARIANTS = ['精选装', '家庭装', '礼盒装', '特级', '一级', '散装', '新季', '组合装', '尝鲜装', '量贩装', '半斤装', '一斤装'];
const VARIANTS_EN = [
  'Selected',
  'Family pack',
  'Gift box',
  'Premium',
  'Grade one',
  'Loose',
  'New season',
  'Bundle',
  'Trial pack',
  'Value pack',
  'Half jin',
  'One jin',
];
const SURNAMES = [
  ...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤',
];
const GIVEN = [
  '伟',
  '芳',
  '娜',
  '敏',
  '静',
  '丽',
  '强',
  '磊',
  '军',
  '洋',
  '勇',
  '艳',
  '杰',
  '娟',
  '涛',
  '明',
  '超',
  '秀英',
  '霞',
  '平',
  '刚',
  '桂英',
  '晓东',
  '建华',
  '海燕',
  '志强',
  '雪梅',
  '俊杰',
];
const ADDRESSES: [string, string, string][] = [
  ['广东省', '深圳市', '福田区'],
  ['广东省', '深圳市', '南山区'],
  ['广东省', '深圳市', '罗湖区'],
  ['广东省', '深圳市', '宝安区'],
  ['广东省', '广州市', '天河区'],
  ['北京市', '北京市', '朝阳区'],
  ['上海市', '上海市', '浦东新区'],
  ['浙江省', '杭州市', '西湖区'],
  ['河南省', '郑州市', '金水区'],
  ['广西壮族自治区', '贺州市', '八步区'],
  ['湖南省', '常德市', '鼎城区'],
  ['四川省', '成都市', '武侯区'],
];
const STREETS = ['深南大道', '华强北路', '科技园南路', '滨海大道', '中山路', '人民路', '解放路', '建设路', '文化路', '花园路'];
const CARRIERS = ['顺丰速运', '中通快递', '中国邮政EMS', '圆通速递', '韵达快递'];

/** A small, fast, seeded PRNG (mulberry32), so every run generates the same data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface DemoProduct {
  id: number;
  slug: string;
  producerId: number;
  projectId: number;
  category: string;
  unit: string;
  titleZh: string;
  titleEn: string | null;
  descriptionZh: string;
  descriptionEn: string | null;
  storyZh: string;
  storyEn: string | null;
  priceFen: number;
  listMediaId: number | null;
  detailMediaId: number | null;
}

interface SellProduct {
  id: number;
  producerId: number;
  projectId: number;
  villageId: number;
  titleZh: string;
  titleEn: string | null;
  unit: string;
  priceFen: number;
}

export async function generateScaleDatabase(path: string, scale: Scale, log: (msg: string) => void = () => {}): Promise<GeneratedData> {
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(path + suffix)) rmSync(path + suffix);
  const started = performance.now();
  const now = Date.now();
  const random = prng(20261125);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

  // ---------- 1. the normal demo seed, through the application's own code ----------
  const db = openDatabase(path);
  migrateDatabase(db);
  await seedDemoData(db, { now });
  const demoSeedMs = performance.now() - started;
  log(`demo seed: ${Math.round(demoSeedMs)} ms`);

  // ---------- 2. bulk load ----------
  const bulkStarted = performance.now();
  const s = db.sqlite;
  // Durability is pointless while generating a throw-away database; restored below.
  const journal = s.pragma('journal_mode = MEMORY', { simple: true });
  if (journal !== 'memory') log(`journal_mode stayed ${String(journal)}`);
  s.pragma('synchronous = OFF');
  s.pragma('cache_size = -262144');

  const villages = new Map(
    (
      s.prepare('SELECT id, shipping_fee_fen AS shippingFeeFen, free_shipping_over_fen AS freeShippingOverFen FROM villages').all() as {
        id: number;
        shippingFeeFen: number;
        freeShippingOverFen: number | null;
      }[]
    ).map((v) => [v.id, v]),
  );
  const producerVillage = new Map(
    (s.prepare('SELECT id, village_id AS villageId FROM producers').all() as { id: number; villageId: number }[]).map((p) => [p.id, p.villageId]),
  );
  const membersOf = new Map<number, { householdId: number; weight: number }[]>();
  for (const m of s
    .prepare('SELECT producer_id AS producerId, household_id AS householdId, weight FROM producer_members ORDER BY producer_id, household_id')
    .all() as {
    producerId: number;
    householdId: number;
    weight: number;
  }[]) {
    const list = membersOf.get(m.producerId) ?? [];
    list.push({ householdId: m.householdId, weight: m.weight });
    membersOf.set(m.producerId, list);
  }
  const rules = s
    .prepare(
      'SELECT id, project_id AS projectId, household_bp AS householdBp, project_fund_bp AS projectFundBp, operations_bp AS operationsBp, effective_from AS effectiveFrom FROM project_split_rules ORDER BY effective_from DESC, id DESC',
    )
    .all() as (SplitRule & { projectId: number; effectiveFrom: number })[];
  const ruleAt = (projectId: number, at: number): SplitRule =>
    rules.find((r) => r.projectId === projectId && r.effectiveFrom <= at) ?? { id: 0, householdBp: 10000, projectFundBp: 0, operationsBp: 0 };
  const demoProducts = s
    .prepare(
      `SELECT p.id, p.slug, p.producer_id AS producerId, p.project_id AS projectId, p.category, p.unit, p.title_zh AS titleZh, p.title_en AS titleEn,
              p.description_zh AS descriptionZh, p.description_en AS descriptionEn, p.story_zh AS storyZh, p.story_en AS storyEn, p.price_fen AS priceFen,
              (SELECT list_media_id FROM product_photos ph WHERE ph.product_id = p.id ORDER BY position, id LIMIT 1) AS listMediaId,
              (SELECT detail_media_id FROM product_photos ph WHERE ph.product_id = p.id ORDER BY position, id LIMIT 1) AS detailMediaId
       FROM products p ORDER BY p.id`,
    )
    .all() as DemoProduct[];
  if (demoProducts.length === 0) throw new Error('the demo seed created no products');
  const userId = (email: string) => (s.prepare('SELECT id FROM users WHERE email = ?').get(email) as { id: number } | undefined)?.id ?? null;
  const coordinatorId = userId('coordinator@xiangyi.test');
  const buyerId = userId('buyer@xiangyi.test');
  const secretaryOf = new Map<number, number>();
  for (const r of s.prepare('SELECT user_id AS userId, village_id AS villageId FROM user_villages').all() as { userId: number; villageId: number }[])
    secretaryOf.set(r.villageId, r.userId);

  // ----- products (the FTS triggers index each row as it goes in: fast enough at this size) -----
  const insertProduct = s.prepare(
    `INSERT INTO products (slug, producer_id, project_id, category, unit, title_zh, title_en, description_zh, description_en, story_zh, story_en,
       price_fen, stock, min_order_qty, max_retail_qty, low_stock_threshold, published, featured, sold_count, created_at, updated_at)
     VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,1,NULL,20,?,?,0,?,?)`,
  );
  const insertPhoto = s.prepare(
    `INSERT INTO product_photos (product_id, position, list_media_id, detail_media_id, alt_zh, alt_en, created_at) VALUES (?,0,?,?,?,?,?)`,
  );
  const insertTier = s.prepare(`INSERT INTO price_tiers (product_id, min_qty, price_fen) VALUES (?,?,?)`);
  const sellable: SellProduct[] = [];
  const checkoutProducts: { id: number; slug: string }[] = [];
  // A shop of this size serves thousands of households, not the demo's twenty: every five generated
  // products get a new producer (a household, or a cooperative of two or three) in the base
  // product's village, so entries spread over households as they would in real data.
  const insertHousehold = s.prepare(`INSERT INTO households (village_id, real_name, display_name, members, created_at, updated_at) VALUES (?,?,?,?,?,?)`);
  // What a household agreed to show is its latest consent record (name and story, agreed aloud).
  const insertConsent = s.prepare(
    `INSERT INTO household_consents (household_id, name_public, story_public, photo_public, method, witness_name, given_on, recorded_at) VALUES (?,1,1,0,'verbal','村委会文书',?,?)`,
  );
  const insertProducer = s.prepare(`INSERT INTO producers (village_id, kind, name_zh, story_zh, created_at, updated_at) VALUES (?,?,?,'',?,?)`);
  const insertMember = s.prepare(`INSERT INTO producer_members (producer_id, household_id, weight) VALUES (?,?,?)`);
  let producerForGroup = 0;
  function newProducer(villageId: number, n: number): number {
    const size = random() < 0.7 ? 1 : between(2, 3);
    const producerId = Number(insertProducer.run(villageId, size === 1 ? 'household' : 'cooperative', `规模测试生产者 ${n}`, now, now).lastInsertRowid);
    const members: { householdId: number; weight: number }[] = [];
    for (let k = 0; k < size; k++) {
      // The random draws in the same order as before consent records: display name, consent, members.
      const displayName = random() < 0.8 ? `测试户${n}-${k + 1}` : null;
      const consented = random() < 0.8;
      const householdId = Number(insertHousehold.run(villageId, `测试户 ${n}-${k + 1}`, displayName, between(1, 6), now, now).lastInsertRowid);
      if (consented) insertConsent.run(householdId, new Date(now + 8 * 3600_000).toISOString().slice(0, 10), now);
      const weight = between(1, 5);
      insertMember.run(producerId, householdId, weight);
      members.push({ householdId, weight });
    }
    membersOf.set(producerId, members);
    producerVillage.set(producerId, villageId);
    return producerId;
  }
  s.transaction(() => {
    for (let i = 0; i < scale.products; i++) {
      const base = demoProducts[i % demoProducts.length]!;
      if (i % 5 === 0) producerForGroup = newProducer(producerVillage.get(base.producerId)!, i / 5 + 1);
      const producerId = producerForGroup;
      const v = i % VARIANTS.length;
      const titleZh = `${base.titleZh}·${VARIANTS[v]} ${i + 1}号`;
      const titleEn = base.titleEn ? `${base.titleEn} (${VARIANTS_EN[v]} no. ${i + 1})` : null;
      const priceFen = Math.max(100, Math.round((base.priceFen * (0.6 + random() * 1.4)) / 10) * 10);
      const published = random() < 0.97 ? 1 : 0;
      const featured = published && random() < 0.002 ? 1 : 0;
      const createdAt = now - between(1, 365) * DAY_MS - between(0, DAY_MS);
      const slug = `${base.slug.slice(0, 60)}-b${i + 1}`;
      const id = Number(
        insertProduct.run(
          slug,
          producerId,
          base.projectId,
          base.category,
          base.unit,
          titleZh,
          titleEn,
          `${VARIANTS[v]}。${base.descriptionZh}`,
          base.descriptionEn,
          base.storyZh,
          base.storyEn,
          priceFen,
          between(200_000, 1_000_000),
          published,
          featured,
          createdAt,
          createdAt,
        ).lastInsertRowid,
      );
      if (base.listMediaId !== null && base.detailMediaId !== null) insertPhoto.run(id, base.listMediaId, base.detailMediaId, titleZh, titleEn, createdAt);
      if (random() < 0.2) insertTier.run(id, 10, Math.round((priceFen * 0.9) / 10) * 10);
      if (published) {
        sellable.push({ id, producerId, projectId: base.projectId, villageId: producerVillage.get(producerId)!, titleZh, titleEn, unit: base.unit, priceFen });
        if (checkoutProducts.length < 500 && i % 7 === 3) checkoutProducts.push({ id, slug });
      }
    }
  })();
  log(`products: ${scale.products} in ${Math.round(performance.now() - bulkStarted)} ms`);

  // ----- ledger accounts -----
  const accountIds = new Map<string, number>();
  const insertAccount = s.prepare(`INSERT OR IGNORE INTO ledger_accounts (code, kind, household_id, project_id, channel, created_at) VALUES (?,?,?,?,?,?)`);
  const accountByCode = s.prepare(`SELECT id FROM ledger_accounts WHERE code = ?`);
  function accountId(ref: AccountRef): number {
    const code = accountCode(ref);
    let id = accountIds.get(code);
    if (id !== undefined) return id;
    insertAccount.run(
      code,
      ref.kind,
      ref.kind === 'household_payable' ? ref.householdId : null,
      ref.kind === 'project_fund' ? ref.projectId : null,
      ref.kind === 'clearing' ? ref.channel : ref.kind === 'processor_fees' ? ref.processor : null,
      now - 400 * DAY_MS,
    );
    id = (accountByCode.get(code) as { id: number }).id;
    accountIds.set(code, id);
    return id;
  }

  // ----- the posting machinery: same canonical digest as the ledger service -----
  const insertTx = s.prepare(
    `INSERT INTO ledger_transactions (idempotency_key, kind, order_id, payout_id, split_rule_id, memo, period, posted_at, created_by_user_id, prev_hash, hash)
     VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
  );
  const insertEntry = s.prepare(`INSERT INTO ledger_entries (transaction_id, account_id, amount_fen, order_line_id) VALUES (?,?,?,?)`);
  let prevHash = (s.prepare('SELECT hash FROM ledger_transactions ORDER BY id DESC LIMIT 1').get() as { hash: string } | undefined)?.hash ?? GENESIS_HASH;
  let transactions = 0;
  let entryCount = 0;
  const householdEntries = new Map<number, number>();
  const owed = new Map<number, number>();
  function post(p: {
    key: string;
    kind: string;
    orderId: number | null;
    payoutId: number | null;
    splitRuleId: number | null;
    memo: string;
    postedAt: number;
    userId: number | null;
    entries: PostingEntry[];
  }): void {
    const entries = p.entries.filter((e) => e.amountFen !== 0);
    const resolved = entries.map((e) => ({
      accountId: accountId(e.account),
      accountCode: accountCode(e.account),
      amountFen: e.amountFen,
      orderLineId: e.orderLineId ?? null,
    }));
    if (resolved.reduce((a, e) => a + e.amountFen, 0) !== 0) throw new Error(`unbalanced generated posting ${p.key}`);
    const row = {
      idempotencyKey: p.key,
      kind: p.kind,
      orderId: p.orderId,
      payoutId: p.payoutId,
      splitRuleId: p.splitRuleId,
      memo: p.memo,
      period: periodOf(p.postedAt),
      postedAt: p.postedAt,
      prevHash,
    };
    const hash = transactionDigest(row, resolved);
    const txId = Number(
      insertTx.run(row.idempotencyKey, row.kind, row.orderId, row.payoutId, row.splitRuleId, row.memo, row.period, row.postedAt, p.userId, prevHash, hash)
        .lastInsertRowid,
    );
    for (const e of resolved) insertEntry.run(txId, e.accountId, e.amountFen, e.orderLineId);
    for (const e of entries) {
      if (e.account.kind !== 'household_payable') continue;
      const h = e.account.householdId;
      householdEntries.set(h, (householdEntries.get(h) ?? 0) + 1);
      owed.set(h, (owed.get(h) ?? 0) - e.amountFen);
    }
    prevHash = hash;
    transactions++;
    entryCount += resolved.length;
  }

  // ----- order times: mostly this month (CST), the rest in the two months before -----
  const month = monthBounds(now);
  const latest = now - 5 * 60_000;
  const earliest = month.from - 60 * DAY_MS;
  const times: number[] = new Array(scale.orders);
  for (let i = 0; i < scale.orders; i++) {
    times[i] =
      random() < 0.85 && latest > month.from
        ? month.from + Math.floor(random() * (latest - month.from))
        : earliest + Math.floor(random() * (Math.min(month.from, latest) - earliest));
  }
  times.sort((a, b) => a - b);

  // Weekly payouts (Mondays 10:00 CST) to every household owed at least ¥100.
  const payoutTimes: number[] = [];
  for (let day = Date.parse(`${formatDate(earliest)}T10:00:00+08:00`); day < latest; day += DAY_MS) {
    if (new Date(day + 8 * 3600_000).getUTCDay() === 1) payoutTimes.push(day);
  }

  const insertOrder = s.prepare(
    `INSERT INTO orders (number, access_token_hash, receipt_code, buyer_user_id, contact_name, phone, province, city, district, address, note,
       status, payment_method, delivery_method, subtotal_fen, shipping_fen, total_fen, refunded_fen, expires_at, paid_at, cancelled_at, completed_at, created_at, updated_at)
     VALUES (?,?,?,?,?,?,?,?,?,?,NULL,?,?,'ship',?,?,?,0,?,?,NULL,?,?,?)`,
  );
  const insertLine = s.prepare(
    `INSERT INTO order_lines (order_id, product_id, village_id, producer_id, project_id, title_zh, title_en, unit, unit_price_fen, quantity, line_total_fen, refunded_fen)
     VALUES (?,?,?,?,?,?,?,?,?,?,?,0)`,
  );
  const insertShipment = s.prepare(
    `INSERT INTO shipments (order_id, village_id, shipping_fee_fen, status, carrier, tracking_number, shipped_at, shipped_by_user_id) VALUES (?,?,?,?,?,?,?,?)`,
  );
  const insertPayment = s.prepare(
    `INSERT INTO payments (order_id, channel, status, amount_fen, fee_fen, reference, stripe_checkout_session_id, stripe_payment_intent_id, stripe_charge_id,
       confirmed_by_user_id, confirmed_at, created_at) VALUES (?,?,'succeeded',?,?,?,?,?,?,?,?,?)`,
  );
  const insertPayout = s.prepare(
    `INSERT INTO payouts (household_id, amount_fen, method, reference, paid_on, created_by_user_id, created_at) VALUES (?,?,?,?,?,?,?)`,
  );

  const dayCounters = new Map<string, number>();
  const sold = new Map<number, number>();
  let lineCount = 0;
  let shipmentCount = 0;
  let payoutCount = 0;
  let nextPayout = 0;

  function payoutRound(at: number): void {
    for (const [householdId, amount] of [...owed.entries()].sort((a, b) => a[0] - b[0])) {
      if (amount < 10_000) continue;
      const fen = Math.floor((amount * 0.9) / 100) * 100;
      const reference = `PAY-${formatDate(at).replace(/-/g, '')}-${householdId}`;
      const payoutId = Number(
        insertPayout.run(householdId, fen, pick(['bank_transfer', 'wechat', 'cash'] as const), reference, formatDate(at), coordinatorId, at).lastInsertRowid,
      );
      post({
        key: `payout:${payoutId}`,
        kind: 'payout',
        orderId: null,
        payoutId,
        splitRuleId: null,
        memo: `payout ${reference}`,
        postedAt: at,
        userId: coordinatorId,
        entries: [
          { account: { kind: 'household_payable', householdId }, amountFen: fen },
          { account: { kind: 'cash' }, amountFen: -fen },
        ],
      });
      payoutCount++;
    }
  }

  const popular = () => sellable[Math.floor(sellable.length * random() ** 2)]!;
  const BATCH = 20_000;
  for (let start = 0; start < scale.orders; start += BATCH) {
    s.transaction(() => {
      for (let i = start; i < Math.min(scale.orders, start + BATCH); i++) {
        const createdAt = times[i]!;
        while (nextPayout < payoutTimes.length && payoutTimes[nextPayout]! <= createdAt) payoutRound(payoutTimes[nextPayout++]!);

        const stripe = random() < 0.3;
        const paidAt = Math.min(latest, createdAt + (stripe ? between(5_000, 120_000) : between(10 * 60_000, 8 * 3600_000)));
        const day = formatDate(createdAt).replace(/-/g, '');
        const seq = (dayCounters.get(day) ?? 0) + 1;
        dayCounters.set(day, seq);
        const number = `XY-${day}-${String(seq).padStart(4, '0')}`;

        const lines_ = random();
        const k = lines_ < 0.6 ? 1 : lines_ < 0.88 ? 2 : 3;
        const chosen = new Map<number, SellProduct>();
        while (chosen.size < k) {
          const p = popular();
          chosen.set(p.id, p);
        }
        const lines = [...chosen.values()].map((p) => {
          const quantity = 1 + Math.floor(random() ** 3 * 5);
          return { product: p, quantity, total: p.priceFen * quantity };
        });
        const parcels = new Map<number, number>();
        for (const l of lines) parcels.set(l.product.villageId, (parcels.get(l.product.villageId) ?? 0) + l.total);
        const fees = [...parcels].map(([villageId, subtotal]) => [villageId, shippingFeeFor(villages.get(villageId)!, subtotal)] as const);
        const subtotalFen = lines.reduce((a, l) => a + l.total, 0);
        const shippingFen = fees.reduce((a, [, fee]) => a + fee, 0);
        const totalFen = subtotalFen + shippingFen;

        const age = now - createdAt;
        const r = random();
        const status = age > 10 * DAY_MS ? (r < 0.6 ? 'completed' : r < 0.95 ? 'shipped' : 'paid') : age > 3 * DAY_MS ? (r < 0.6 ? 'shipped' : 'paid') : 'paid';
        const shippedAt = status === 'paid' ? null : Math.min(latest, paidAt + between(3, 40) * 3600_000);
        const completedAt = status === 'completed' ? Math.min(latest, shippedAt! + between(2, 6) * DAY_MS) : null;
        const [province, city, district] = pick(ADDRESSES);
        const receipt = Array.from(
          { length: 10 },
          (_, j) =>
            RECEIPT_ALPHABET[j < 4 ? Math.floor(i / RECEIPT_ALPHABET.length ** j) % RECEIPT_ALPHABET.length : Math.floor(random() * RECEIPT_ALPHABET.length)],
        ).join('');
        const orderId = Number(
          insertOrder.run(
            number,
            randomBytes(32).toString('hex'),
            receipt,
            random() < 0.1 ? buyerId : null,
            `${pick(SURNAMES)}${pick(GIVEN)}`,
            `13${between(100_000_000, 999_999_999)}`,
            province,
            city,
            district,
            `${pick(STREETS)}${between(1, 999)}号${between(1, 30)}栋${between(101, 2808)}室`,
            status,
            stripe ? 'stripe' : 'offline',
            subtotalFen,
            shippingFen,
            totalFen,
            createdAt + (stripe ? 30 * 60_000 : 72 * 3600_000),
            paidAt,
            completedAt,
            createdAt,
            completedAt ?? shippedAt ?? paidAt,
          ).lastInsertRowid,
        );
        const lineIds = lines.map((l) => {
          sold.set(l.product.id, (sold.get(l.product.id) ?? 0) + l.quantity);
          lineCount++;
          return Number(
            insertLine.run(
              orderId,
              l.product.id,
              l.product.villageId,
              l.product.producerId,
              l.product.projectId,
              l.product.titleZh,
              l.product.titleEn,
              l.product.unit,
              l.product.priceFen,
              l.quantity,
              l.total,
            ).lastInsertRowid,
          );
        });
        for (const [villageId, fee] of fees) {
          const shipped = shippedAt !== null;
          insertShipment.run(
            orderId,
            villageId,
            fee,
            status === 'completed' ? 'delivered' : shipped ? 'shipped' : 'pending',
            shipped ? pick(CARRIERS) : null,
            shipped ? `SF${between(1_000_000_000, 9_999_999_999)}` : null,
            shippedAt,
            shipped ? (secretaryOf.get(villageId) ?? null) : null,
          );
          shipmentCount++;
        }

        // Payment row and the proceeds posting, as recordPayment / the Stripe webhook write them.
        const channel = stripe ? 'stripe' : 'bank';
        const feeFen = stripe ? Math.max(1, Math.round(totalFen * 0.006)) : 0;
        const session = stripe ? `cs_test_bench_${orderId}` : null;
        const charge = stripe ? `ch_bench_${orderId}` : null;
        const reference = stripe ? null : `BANK${day}${String(seq).padStart(5, '0')}`;
        insertPayment.run(
          orderId,
          channel,
          totalFen,
          feeFen,
          reference,
          session,
          stripe ? `pi_bench_${orderId}` : null,
          charge,
          stripe ? null : coordinatorId,
          paidAt,
          stripe ? createdAt : paidAt,
        );
        const entries: PostingEntry[] = [{ account: { kind: 'clearing', channel }, amountFen: totalFen }];
        let splitRuleId: number | null = null;
        lines.forEach((l, j) => {
          const rule = ruleAt(l.product.projectId, paidAt);
          splitRuleId ??= rule.id || null;
          entries.push(
            ...allocateLine({
              orderLineId: lineIds[j]!,
              projectId: l.product.projectId,
              amountFen: l.total,
              rule,
              members: membersOf.get(l.product.producerId) ?? [],
            }),
          );
        });
        if (shippingFen > 0) entries.push({ account: { kind: 'shipping' }, amountFen: -shippingFen });
        post({
          key: `order-paid:${orderId}`,
          kind: 'order_payment',
          orderId,
          payoutId: null,
          splitRuleId,
          memo: stripe ? `stripe ${session}` : `bank transfer ${reference}`,
          postedAt: paidAt,
          userId: stripe ? null : coordinatorId,
          entries,
        });
        if (stripe) {
          post({
            key: `stripe-fee:${charge}`,
            kind: 'processor_fee',
            orderId,
            payoutId: null,
            splitRuleId: null,
            memo: `stripe fee ${charge}`,
            postedAt: paidAt,
            userId: null,
            entries: [
              { account: { kind: 'processor_fees', processor: 'stripe' }, amountFen: feeFen },
              { account: { kind: 'clearing', channel: 'stripe' }, amountFen: -feeFen },
            ],
          });
        }
      }
    })();
  }
  s.transaction(() => {
    while (nextPayout < payoutTimes.length) payoutRound(payoutTimes[nextPayout++]!);
    const setSold = s.prepare('UPDATE products SET sold_count = sold_count + ? WHERE id = ?');
    for (const [id, quantity] of sold) setSold.run(quantity, id);
  })();
  const bulkMs = performance.now() - bulkStarted;
  log(
    `orders: ${scale.orders}, lines: ${lineCount}, ledger: ${transactions} transactions / ${entryCount} entries, payouts: ${payoutCount} (bulk ${Math.round(bulkMs)} ms)`,
  );
  if (entryCount < scale.minEntries) log(`WARNING: only ${entryCount} ledger entries, fewer than the ${scale.minEntries} asked for`);

  // Back to the pragmas the application runs with, on a connection of its own: the bulk
  // connection's statements (triggers' included) may still hold the schema, which refuses a change
  // of journal mode ("database table is locked").
  db.close();
  const reopened = openDatabase(path);
  reopened.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  const totalMs = performance.now() - started;

  const verifyStarted = performance.now();
  const check = await checkLedger(reopened);
  const verifyMs = performance.now() - verifyStarted;
  if (check.problems.length) throw new Error(`generated ledger fails checkLedger: ${JSON.stringify(check.problems.slice(0, 3))}`);
  reopened.close();

  const [busiestId, busiestEntries] = [...householdEntries.entries()].sort((a, b) => b[1] - a[1])[0] ?? [0, 0];
  return {
    counts: {
      products: scale.products,
      orders: scale.orders,
      orderLines: lineCount,
      shipments: shipmentCount,
      payments: scale.orders,
      ledgerTransactions: transactions,
      ledgerEntries: entryCount,
      payouts: payoutCount,
    },
    timings: { demoSeedMs, bulkMs, totalMs, verifyMs },
    ledgerCheck: { transactions: check.transactions, problems: check.problems.length },
    busiestHousehold: { id: busiestId, entries: busiestEntries },
    checkoutProducts,
    productSlug: checkoutProducts[0]?.slug ?? demoProducts[0]!.slug,
    period: periodOf(latest > month.from ? latest : month.from - 1),
    now,
  };
}

// Standalone: npx tsx bench/generate.ts <path> [--quick]
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const path = process.argv.find((a, i) => i >= 2 && !a.startsWith('--'));
  if (!path) {
    console.error('usage: tsx bench/generate.ts <database path> [--quick]');
    process.exit(2);
  }
  const result = await generateScaleDatabase(path, process.argv.includes('--quick') ? QUICK_SCALE : FULL_SCALE, (m) => console.log(m));
  console.log(JSON.stringify({ ...result, checkoutProducts: result.checkoutProducts.length }, null, 2));
}
