import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import { pickText, type Locale, type MessageKey, type Translator } from '../i18n/i18n.js';
import { fenToYuanInput } from '../money.js';
import { formatDateTime } from '../time.js';
import { canManageVillage } from '../villages/access.js';
import { csvDocument } from './csv.js';
import { householdsUpTo, ledgerEntriesBetween, orderLinesBetween, ordersBetween, payoutsBetween } from './exports-queries.js';

/** What a coordinator may export for their auditors. */
export const EXPORT_KINDS = ['orders', 'order-lines', 'households', 'payouts', 'ledger'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

/** A chosen period of whole days (CST): `from`/`to` inclusive as written, `fromMs`/`toMs` the instants [from, to). */
export interface ExportPeriod {
  from: string;
  to: string;
  fromMs: number;
  toMs: number;
}

/**
 * The auditors' exports: a period's orders, order lines, households, payouts and ledger entries
 * (each with its transaction's hash) as CSV, limited to the coordinator's projects. Households'
 * private fields (real name, phone, ID-card last 4, 建档立卡 number, bank account) are left out
 * unless asked for, and then filled only where the coordinator may see them (villages/access.ts,
 * the same rule as the household register). A payout shared between projects counts, for a
 * coordinator of some of them, only the part their projects paid. Every export is audited, in the same unit that reads it.
 */
export function createExports(db: Database_, deps: { audit: AuditService; householdScope: (actor: CurrentUser) => Promise<'all' | Set<number>> }) {
  const { audit } = deps;

  async function csv(
    actor: CurrentUser,
    kind: ExportKind,
    period: ExportPeriod,
    options: { privateFields: boolean },
    t: Translator,
    locale: Locale,
    address: string | null,
  ): Promise<{ csv: string; rows: number }> {
    if (actor.role !== 'coordinator') throw new AppError('forbidden', 'forbidden');
    const projects = actor.allProjects ? 'all' : actor.projectIds;
    const householdIds = kind === 'households' ? await deps.householdScope(actor) : 'all';
    const households = householdIds === 'all' ? 'all' : [...householdIds];
    const seesPrivate = (villageId: number) => options.privateFields && canManageVillage(actor, villageId);
    const col = (key: string) => t(`export.col.${key}` as MessageKey);
    const yuan = (fen: number | null) => (fen === null ? '' : fenToYuanInput(fen));
    const when = (ms: number | null) => (ms === null ? '' : formatDateTime(ms));

    return db.uow.write(function* (tx) {
      let header: string[];
      let rows: (string | number | null)[][];
      switch (kind) {
        case 'orders': {
          const found = yield* ordersBetween(tx, period.fromMs, period.toMs, projects);
          header = ['number', 'createdAt', 'kind', 'status', 'paymentMethod', 'deliveryMethod', 'paidAt', 'subtotal', 'shipping', 'total', 'refunded'].map(col);
          rows = found.map((o) => [
            o.number,
            when(o.createdAt),
            t(o.donationProjectId !== null ? 'export.kind.donation' : 'export.kind.purchase'),
            t(`order.status.${o.status}` as MessageKey),
            o.paymentMethod,
            o.deliveryMethod,
            when(o.paidAt),
            yuan(o.subtotalFen),
            yuan(o.shippingFen),
            yuan(o.totalFen),
            yuan(o.refundedFen),
          ]);
          break;
        }
        case 'order-lines': {
          const found = yield* orderLinesBetween(tx, period.fromMs, period.toMs, projects);
          header = ['number', 'createdAt', 'status', 'line', 'product', 'project', 'village', 'quantity', 'unit', 'unitPrice', 'lineTotal', 'refunded'].map(
            col,
          );
          rows = found.map((l) => [
            l.orderNumber,
            when(l.orderCreatedAt),
            t(`order.status.${l.orderStatus}` as MessageKey),
            l.lineId,
            pickText(locale, l.titleZh, l.titleEn),
            pickText(locale, l.projectZh, l.projectEn),
            pickText(locale, l.villageZh, l.villageEn),
            l.quantity,
            l.unit,
            yuan(l.unitPriceFen),
            yuan(l.lineTotalFen),
            yuan(l.refundedFen),
          ]);
          break;
        }
        case 'households': {
          const found = yield* householdsUpTo(tx, period.toMs, households);
          const privateCols = ['realName', 'phone', 'idCardLast4', 'povertyRegNo', 'bankAccountName', 'bankAccountNo', 'bankName'];
          header = ['householdId', 'village', 'displayName', 'consent', 'members', 'registeredAt', ...(options.privateFields ? privateCols : [])].map(col);
          rows = found.map((h) => {
            const row: (string | number | null)[] = [
              h.id,
              pickText(locale, h.villageZh, h.villageEn),
              h.consentPublic ? h.displayName : '',
              t(h.consentPublic ? 'export.yes' : 'export.no'),
              h.members,
              when(h.createdAt),
            ];
            if (options.privateFields) {
              const mine = seesPrivate(h.villageId);
              row.push(...[h.realName, h.phone, h.idCardLast4, h.povertyRegNo, h.bankAccountName, h.bankAccountNo, h.bankName].map((v) => (mine ? v : '')));
            }
            return row;
          });
          break;
        }
        case 'payouts': {
          const found = yield* payoutsBetween(tx, period.from, period.to, projects);
          header = ['payout', 'paidOn', 'householdId', 'household', 'amount', 'method', 'reference', 'reverses', 'recordedAt'].map(col);
          rows = found.map((p) => [
            p.id,
            p.paidOn,
            p.householdId,
            seesPrivate(p.villageId) ? p.realName : p.consentPublic ? p.displayName : '',
            yuan(p.partFen),
            t(`export.method.${p.method}` as MessageKey),
            p.reference,
            p.reversesPayoutId,
            when(p.createdAt),
          ]);
          break;
        }
        case 'ledger': {
          const found = yield* ledgerEntriesBetween(tx, period.fromMs, period.toMs, projects);
          header = [
            'transaction',
            'postedAt',
            'period',
            'txKind',
            'idempotencyKey',
            'number',
            'payout',
            'memo',
            'prevHash',
            'hash',
            'entry',
            'account',
            'amount',
          ].map(col);
          rows = found.map((e) => [
            e.transactionId,
            when(e.postedAt),
            e.period,
            e.kind,
            e.idempotencyKey,
            e.orderNumber,
            e.payoutId,
            e.memo,
            e.prevHash,
            e.hash,
            e.entryId,
            e.account,
            yuan(e.amountFen),
          ]);
          break;
        }
      }
      yield* audit.add(tx, {
        userId: actor.id,
        action: `export.${kind}`,
        entityType: 'export',
        entityId: `${period.from}..${period.to}`,
        after: {
          kind,
          from: period.from,
          to: period.to,
          rows: rows.length,
          privateFields: kind === 'households' || kind === 'payouts' ? options.privateFields : undefined,
        },
        address,
      });
      return { csv: csvDocument(header, rows), rows: rows.length };
    });
  }

  return { csv };
}

export type Exports = ReturnType<typeof createExports>;
