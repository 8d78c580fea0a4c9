import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import { householdOfCode } from '../ledger/accounts.js';
import type { LedgerReports } from '../ledger/ledger-reports.js';
import type { VillagesService } from '../villages/villages-service.js';
import type { BenefitInput } from './benefit.js';
import type { OrderLine } from './orders-queries.js';
import type { OrdersService } from './orders-service.js';
import { orderIdByReceiptCode } from './receipt-queries.js';

/** Receipt codes: 10 characters from an alphabet without look-alikes (no I, L, O, 0, 1). */
export const RECEIPT_CODE_RE = /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{10}$/;

/** Whether the households of one village × project group have received their money. */
export type PayoutState = 'paid' | 'partly' | 'not_yet';

export interface ReceiptGroup {
  villageId: number;
  projectId: number;
  households: number;
  payout: PayoutState;
}

export interface Receipt {
  status: string;
  paid: boolean;
  paidAt: number | null;
  placedAt: number;
  totalFen: number;
  refundedFen: number;
  lines: Pick<OrderLine, 'titleZh' | 'titleEn' | 'unit' | 'quantity' | 'lineTotalFen' | 'refundedFen'>[];
  /** What the purchase credited (net of refunds), for benefitSummary; null when unpaid. */
  benefit: BenefitInput | null;
  groups: ReceiptGroup[];
  /** The posting that credited the households (the order's payment posting): its place in the hash chain. */
  posting: { id: number; hash: string; prevHash: string; postedAt: number; period: string } | null;
}

/**
 * Benefit receipts: the public page of one purchase, found by its receipt code. It says what the
 * purchase credited to which households (through benefitSummary's consent and group-of-3 rules),
 * whether those households have been paid out, and where the crediting posting sits in the ledger's
 * hash chain. Nothing about the buyer leaves this service.
 */
export function createReceiptService(
  db: Database_,
  deps: {
    orders: OrdersService;
    reports: LedgerReports;
    villages: Pick<VillagesService, 'publicHouseholds' | 'villageNames'>;
    projects: () => Promise<{ id: number; nameZh: string; nameEn: string | null }[]>;
  },
) {
  return {
    async receipt(code: string): Promise<Receipt> {
      const id = RECEIPT_CODE_RE.test(code) ? await db.uow.read((tx) => orderIdByReceiptCode(tx, code)) : undefined;
      if (id === undefined) throw new AppError('not_found', 'receipt_not_found');
      const order = await deps.orders.orderById(id);
      const { lines, postings } = await deps.orders.details(order);
      const payment = postings.find((p) => p.kind === 'order_payment') ?? null;
      const paid = order.paidAt !== null && payment !== null;
      const entries = paid ? postings.flatMap((p) => p.entries) : [];

      // Households credited (net of refunds), grouped as benefitSummary groups them.
      const lineById = new Map(lines.map((l) => [l.id, l]));
      const perGroup = new Map<string, { villageId: number; projectId: number; credited: Map<number, number> }>();
      for (const e of entries) {
        const householdId = householdOfCode(e.accountCode);
        if (householdId === null || e.orderLineId === null) continue;
        const line = lineById.get(e.orderLineId);
        if (!line) continue;
        const key = `${line.villageId}:${line.projectId}`;
        const group = perGroup.get(key) ?? { villageId: line.villageId, projectId: line.projectId, credited: new Map<number, number>() };
        group.credited.set(householdId, (group.credited.get(householdId) ?? 0) - e.amountFen);
        perGroup.set(key, group);
      }
      const householdIds = [...new Set([...perGroup.values()].flatMap((g) => [...g.credited].filter(([, fen]) => fen > 0).map(([h]) => h)))];
      // From each household's payable balance: back to zero, it has been paid everything; below what
      // this order credited it, at least part of this order's money has reached it.
      const owed = new Map((await deps.reports.householdBalances(householdIds)).map((b) => [b.householdId, b.owedFen]));
      const groups: ReceiptGroup[] = [];
      for (const g of perGroup.values()) {
        const credited = [...g.credited].filter(([, fen]) => fen > 0);
        if (!credited.length) continue;
        const states = credited.map(([h, fen]): PayoutState => {
          const left = owed.get(h) ?? 0;
          return left <= 0 ? 'paid' : left < fen ? 'partly' : 'not_yet';
        });
        const payout: PayoutState = states.every((s) => s === 'paid') ? 'paid' : states.every((s) => s === 'not_yet') ? 'not_yet' : 'partly';
        groups.push({ villageId: g.villageId, projectId: g.projectId, households: credited.length, payout });
      }

      return {
        status: order.status,
        paid,
        paidAt: order.paidAt,
        placedAt: order.createdAt,
        totalFen: order.totalFen,
        refundedFen: order.refundedFen,
        lines: lines.map((l) => ({
          titleZh: l.titleZh,
          titleEn: l.titleEn,
          unit: l.unit,
          quantity: l.quantity,
          lineTotalFen: l.lineTotalFen,
          refundedFen: l.refundedFen,
        })),
        benefit: paid
          ? {
              lines,
              entries,
              households: await deps.villages.publicHouseholds(householdIds),
              villages: await deps.villages.villageNames(),
              projects: await deps.projects(),
            }
          : null,
        groups,
        posting:
          paid && payment ? { id: payment.id, hash: payment.hash, prevHash: payment.prevHash, postedAt: payment.postedAt, period: payment.period } : null,
      };
    },
  };
}

export type ReceiptService = ReturnType<typeof createReceiptService>;
