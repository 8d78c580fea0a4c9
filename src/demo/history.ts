import pino from 'pino';
import { buildServices, type Services } from '../app.js';
import type { CurrentUser } from '../accounts/session-service.js';
import type { Config } from '../config.js';
import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import type { CounterChannel } from '../outlets/index.js';
import { formatDate } from '../time.js';
import { PRODUCTS, type SeedProduct } from './seed-data.js';
import type { SeedIds } from './seed.js';

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
/** How far back the story starts, in days. */
export const HISTORY_DAYS = 100;

/** Buyers who are not signed in: names and mobile numbers as a checkout form takes them (made up). */
const GUESTS = [
  { name: '王女士', phone: '13800138011', province: '广东省', city: '深圳市', district: '南山区', address: '科技园南路 18 号 2 栋 1203' },
  { name: '刘先生', phone: '13900139022', province: '上海市', city: '上海市', district: '浦东新区', address: '张杨路 500 号 8 楼' },
  { name: '张女士', phone: '13700137033', province: '北京市', city: '北京市', district: '朝阳区', address: '望京西路 9 号院 3 号楼 601' },
  { name: '陈先生', phone: '13600136044', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 90 号 501' },
  { name: '李女士', phone: '13500135055', province: '四川省', city: '成都市', district: '武侯区', address: '科华北路 65 号 4 单元 12 号' },
  { name: '赵先生', phone: '13300133066', province: '湖北省', city: '武汉市', district: '洪山区', address: '珞喻路 1037 号' },
] as const;
const BUYER_ADDRESS = { province: '广东省', city: '深圳市', district: '福田区', address: '福华三路 88 号 15 楼' } as const;
const CARRIERS = ['顺丰速运', '中国邮政 EMS', '中通快递'] as const;

/** A small deterministic generator (mulberry32): every new demo database tells the same story. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Midnight (China Standard Time) of the day an instant falls in. */
const cstMidnight = (ms: number) => Date.parse(`${formatDate(ms)}T00:00:00+08:00`);
const monthOf = (ms: number) => formatDate(ms).slice(0, 7);

export interface HistorySummary {
  days: number;
  orders: number;
  paid: number;
  delivered: number;
  refunded: number;
  expired: number;
  counterSales: number;
  wishDonations: number;
  payouts: number;
  payoutRequests: number;
  closedMonths: string[];
}

/** What a step may refuse (out of stock, a limit): the story goes on without it; anything else is a bug. */
async function unlessRefused<T>(step: () => Promise<T>): Promise<T | null> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof AppError) return null;
    throw error;
  }
}

/**
 * A few months of believable history for a new demo shop, made through the real services (the same
 * units of work the pages use) with a clock that walks from HISTORY_DAYS ago to the present: orders
 * paid by bank transfer, shipped by each village's secretary and received; some refunded in part,
 * some never paid and expired; counter sales at the charity supermarket; micro-wish donations;
 * payouts to households at the start of each month (those above the approval threshold waiting for
 * a second coordinator); and every full month before the current one reconciled and closed. The
 * ledger's chain, reconciliation and /impact are then real and consistent from the first start.
 * The last days are left as a shop has them: transfers to confirm, parcels to ship.
 */
export async function seedDemoHistory(config: Config, db: Database_, ids: SeedIds, opts: { now: number }): Promise<HistorySummary> {
  // A thousand small commits: on the embedded engine they are not each synced to disk (a crash while
  // the demo is being made loses only the demo's past); the next commit after it syncs as always.
  if (db.engine === 'sqlite') db.sqlite.pragma('synchronous = OFF');
  try {
    return await tellHistory(config, db, ids, opts);
  } finally {
    if (db.engine === 'sqlite') db.sqlite.pragma('synchronous = FULL');
  }
}

async function tellHistory(config: Config, db: Database_, ids: SeedIds, opts: { now: number }): Promise<HistorySummary> {
  let simNow = opts.now - HISTORY_DAYS * DAY_MS;
  const services: Services = buildServices(config, { db, clock: () => simNow }, null, pino({ level: 'silent' }));
  const random = generator(20261206);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const summary: HistorySummary = {
    days: HISTORY_DAYS,
    orders: 0,
    paid: 0,
    delivered: 0,
    refunded: 0,
    expired: 0,
    counterSales: 0,
    wishDonations: 0,
    payouts: 0,
    payoutRequests: 0,
    closedMonths: [],
  };

  async function actor(email: string): Promise<CurrentUser> {
    const user = await db.uow.read((tx) => services.accounts.userByEmail(tx, email));
    if (!user) throw new Error(`demo history: no demo account ${email}`);
    const { cookieValue } = await services.sessions.create(user.id);
    const loaded = await services.sessions.load(cookieValue);
    if (!loaded?.user) throw new Error(`demo history: ${email} has no session`);
    await services.sessions.destroy(loaded.session.idHash);
    return loaded.user;
  }
  const coordinator = await actor('coordinator@xiangyi.test');
  const buyer = await actor('buyer@xiangyi.test');
  const outletStaff = await actor('outlet@xiangyi.test');
  const secretaries = await Promise.all(
    ['secretary.gulou', 'secretary.meiyaogou', 'secretary.mengzhuang', 'secretary.shibantan', 'secretary.chashan'].map((s) => actor(`${s}@xiangyi.test`)),
  );
  const secretaryOf = (villageId: number) => secretaries.find((s) => s.villageIds.includes(villageId)) ?? null;
  const [outlet] = await services.outlets.outletsOf(outletStaff);

  // What may still be sold of each product: half its stock stays for the visitors of today.
  const sellable = PRODUCTS.filter((p) => p.published).map((p) => ({ product: p, id: ids.products.get(p.slug)!, left: Math.floor(p.stock / 2) }));
  const onSale = (daysAgo: number) => sellable.filter((s) => s.product.listedDaysAgo > daysAgo && s.left >= s.product.minOrderQty);
  const quantityOf = (p: SeedProduct) => Math.max(p.minOrderQty, 1 + Math.floor(random() * 2));

  /** Orders still to ship or receive: number → the day it was paid. */
  const toShip = new Map<string, number>();
  const toReceive = new Map<string, { shippedAt: number; buyerUserId: number | null }>();

  async function placeOrder(daysAgo: number): Promise<void> {
    const choices = onSale(daysAgo);
    if (choices.length === 0) return;
    const lines = new Map<number, { s: (typeof sellable)[number]; quantity: number }>();
    const count = random() < 0.3 ? 2 : 1;
    for (let i = 0; i < count; i++) {
      const s = pick(choices);
      const quantity = quantityOf(s.product);
      if (!lines.has(s.id) && s.left >= quantity) lines.set(s.id, { s, quantity });
    }
    if (lines.size === 0) return;
    const signedIn = random() < 0.35;
    const guest = pick(GUESTS);
    const contact = signedIn
      ? { name: '深圳买家', phone: '13800138000', ...BUYER_ADDRESS, note: null, paymentMethod: 'offline' as const }
      : { ...guest, note: null, paymentMethod: 'offline' as const };
    const placed = await unlessRefused(() =>
      services.orders.placeDirect(
        {
          lines: [...lines.values()].map(({ s, quantity }) => ({ productId: s.id, quantity })),
          buyerUserId: signedIn ? buyer.id : null,
          contact,
          delivery: 'ship',
          stock: 'online',
        },
        null,
      ),
    );
    if (!placed) return;
    summary.orders++;
    for (const { s, quantity } of lines.values()) s.left -= quantity;
    // Most buyers transfer within hours; one in twelve never does, and the order expires.
    if (daysAgo > 0 && random() < 1 / 12) return;
    if (daysAgo === 0) return; // today's transfers: waiting for the coordinator
    simNow += (1 + Math.floor(random() * 5)) * HOUR_MS;
    await services.payments.markPaidOffline(coordinator, placed.order.number, `HX${formatDate(simNow).replaceAll('-', '')}${summary.paid + 1}`, null);
    summary.paid++;
    toShip.set(placed.order.number, simNow);
  }

  async function shipDue(daysAgo: number): Promise<void> {
    for (const [number, paidAt] of toShip) {
      // Parcels go out the day after payment; the last two days' orders are still to ship.
      if (daysAgo <= 1 || simNow - paidAt < 18 * HOUR_MS) continue;
      const order = await services.orders.order(number);
      if (order.status !== 'paid' && order.status !== 'partially_refunded') {
        toShip.delete(number);
        continue;
      }
      const villages = new Set((await services.orders.details(order)).lines.map((l) => l.villageId));
      for (const villageId of villages) {
        const carrier = pick(CARRIERS);
        const tracking = `${carrier === '顺丰速运' ? 'SF' : carrier === '中通快递' ? 'ZT' : 'EMS'}${Math.floor(1e11 + random() * 9e11)}`;
        const secretary = secretaryOf(villageId);
        if (secretary) await services.orders.ship(secretary, number, villageId, carrier, tracking, null);
        else await services.orders.shipOnBehalf(coordinator, number, villageId, carrier, tracking, null);
      }
      toShip.delete(number);
      toReceive.set(number, { shippedAt: simNow, buyerUserId: order.buyerUserId });
    }
  }

  async function receiveDue(): Promise<void> {
    for (const [number, { shippedAt, buyerUserId }] of toReceive) {
      if (simNow - shippedAt < 4 * DAY_MS) continue;
      const order = await services.orders.order(number);
      if (order.status === 'shipped') {
        await services.orders.complete(order, buyerUserId);
        summary.delivered++;
      }
      toReceive.delete(number);
    }
  }

  /** Now and then a buyer is refunded one line of a paid order before it ships (a broken jar, a change of mind). */
  async function refundOne(): Promise<void> {
    const numbers = [...toShip.keys()];
    if (numbers.length === 0 || random() > 0.25) return;
    const number = pick(numbers);
    const order = await services.orders.order(number);
    const [line] = (await services.orders.details(order)).lines;
    if (!line) return;
    const refunded = await unlessRefused(() =>
      services.payments.refund(coordinator, number, { amountFen: line.lineTotalFen, orderLineId: line.id, reason: '买家取消一件商品' }, null),
    );
    if (refunded) summary.refunded++;
  }

  async function counterSale(daysAgo: number): Promise<void> {
    if (!outlet || random() > 0.3) return;
    const shelf = (await services.outlets.stockOf(outletStaff, outlet.id)).filter((s) => s.quantity > 3);
    if (shelf.length === 0 || daysAgo === 0) return;
    const item = pick(shelf);
    const channel: CounterChannel = pick(['cash', 'wechat', 'alipay'] as const);
    if (await unlessRefused(() => services.outlets.counterSale(outletStaff, outlet.id, [{ productId: item.productId, quantity: 1 }], channel, null))) {
      summary.counterSales++;
    }
  }

  /** Two of the open micro-wishes are taken by donors who pay by transfer. */
  async function donate(): Promise<void> {
    const open = await services.wishes.openWishes();
    for (const wish of open.slice(0, 2)) {
      const donor = pick(GUESTS);
      const sessionIdHash = (await services.sessions.create(null)).session.idHash;
      const claimed = await unlessRefused(() =>
        services.wishes.claim(wish.id, { name: donor.name, phone: donor.phone, paymentMethod: 'offline' }, { sessionIdHash }, null, null),
      );
      if (!claimed) continue;
      simNow += 2 * HOUR_MS;
      await services.payments.markPaidOffline(coordinator, claimed.placed.order.number, `HX-WISH-${wish.id}`, null);
      summary.wishDonations++;
    }
  }

  /** At the start of a month, every household owed money is paid; above the threshold it waits for a second coordinator. */
  async function payHouseholds(): Promise<void> {
    for (const householdId of ids.households.values()) {
      const { availableFen } = await services.payouts.limit(coordinator, householdId);
      if (availableFen < 100) continue;
      const recorded = await unlessRefused(() =>
        services.payouts.record(
          coordinator,
          {
            householdId,
            amountFen: availableFen,
            method: random() < 0.7 ? 'bank_transfer' : 'wechat',
            reference: `PO${formatDate(simNow).replaceAll('-', '')}-${householdId}`,
            paidOn: formatDate(simNow),
          },
          null,
          null,
        ),
      );
      if (recorded?.posted) summary.payouts++;
      else if (recorded?.requested) summary.payoutRequests++;
    }
  }

  async function closeMonth(period: string): Promise<void> {
    if (await unlessRefused(() => services.reconciliation.closePeriod(coordinator, period, null))) summary.closedMonths.push(period);
    else if ((await services.reconciliation.closedPeriods()).some((p) => p.period === period)) summary.closedMonths.push(period);
  }

  /** The messages of the past went out when they were written. */
  async function sendMessages(): Promise<void> {
    for (const channel of ['email', 'sms'] as const) {
      for (let batch = await services.outbox.claim(200, channel); batch.length > 0; batch = await services.outbox.claim(200, channel)) {
        for (const claimed of batch) await services.outbox.markSent(claimed);
      }
    }
  }

  const firstDay = cstMidnight(simNow);
  let month = monthOf(firstDay);
  const toClose: string[] = [];
  for (let daysAgo = HISTORY_DAYS; daysAgo >= 0; daysAgo--) {
    const day = cstMidnight(opts.now) - daysAgo * DAY_MS;
    if (monthOf(day) !== month) {
      simNow = day + 9 * HOUR_MS;
      await payHouseholds();
      toClose.push(month);
      month = monthOf(day);
    }
    // The month before is closed on the 3rd, once its last transfers and refunds are in.
    if (formatDate(day).endsWith('-03')) {
      simNow = day + 11 * HOUR_MS;
      for (const period of toClose.splice(0)) await closeMonth(period);
    }
    simNow = day + 8 * HOUR_MS;
    await receiveDue();
    await shipDue(daysAgo);
    // Busier at weekends and on the 11th (a shopping festival's day).
    const weekday = new Date(day + 8 * HOUR_MS).getUTCDay();
    const orders = (weekday === 0 || weekday === 6 ? 3 : 2) + (formatDate(day).endsWith('-11') ? 4 : 0);
    for (let i = 0; i < orders; i++) {
      simNow = Math.min(day + (10 + i * 3) * HOUR_MS, opts.now - HOUR_MS);
      await placeOrder(daysAgo);
    }
    simNow = Math.min(day + 20 * HOUR_MS, opts.now - HOUR_MS);
    await refundOne();
    await counterSale(daysAgo);
    if (daysAgo === 30) await donate();
    // Unpaid transfers expire as the sweep would have cancelled them.
    summary.expired += await services.orders.expireDue();
    if (daysAgo > 0) await sendMessages();
  }
  return summary;
}
