import type { MoneyFigures, PublicFigures } from '../catalog/public-figures.js';
import { settle, type BucketTotals } from '../ledger/attribution.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import type { PublicHousehold, VillageName } from '../villages/villages-service.js';
import { MIN_NAMED_GROUP } from '../orders/benefit.js';
import { decideDisclosure, type Cell, type Disclosure, type ScopeKey } from './disclosure.js';
import type { Database_ } from '../db/client.js';
import { attributedSince, creditedSince, impactHead, salesSince } from './impact-queries.js';

export type { MoneyFigures, PublicFigures };

/**
 * Who in a group may be named in public: households that agreed, by their display name, and only in
 * groups of at least MIN_NAMED_GROUP households. Never with amounts (see disclosure.ts).
 */
export interface NamedHouseholds {
  named: string[];
  /** Households in the group that are not named (no consent or no display name). */
  unnamed: number;
}

type Scope = { projectId?: number; villageId?: number };

interface CellFigures extends MoneyFigures {
  projectId: number;
  villageId: number;
  /** Households with money credited here (net, above zero). */
  households: Set<number>;
}

interface Snapshot {
  cells: CellFigures[];
  disclosure: Disclosure;
  /** Households paid more than they were credited (refunds after payouts), fen, largest first. */
  clawbacks: { householdId: number; clawbackFen: number }[];
}

const cellKey = (projectId: number, villageId: number) => `${projectId}:${villageId}`;

/**
 * The public proof of benefit: sales, amounts credited and paid out to households, and households
 * reached, per project, per village and for the whole shop, summed from the ledger.
 *
 * Paid-out figures follow each payout's attribution to projects and villages, settled as
 * ledger/attribution.ts says (never more than a project or village credited), so projects and
 * villages each add up to the platform. Which figures are published is decided by disclosure.ts.
 *
 * The ledger is append-only, so the sums are kept in memory and brought up to date from the
 * postings after the last one seen: a page costs one look at the ledger's head, not a pass over
 * every entry ever posted (which at a few hundred thousand orders takes about a second).
 */
export function createImpactService(
  db: Database_,
  deps: {
    /** The villages' public reads (src/villages): names as a step of the refresh's unit, and as a service. */
    villages: {
      readVillageNames(tx: Tx): Query<VillageName[]>;
      villageNames(): Promise<VillageName[]>;
      publicHouseholds(ids: readonly number[]): Promise<PublicHousehold[]>;
    };
    projects: () => Promise<{ id: number; slug: string; nameZh: string; nameEn: string | null }[]>;
  },
) {
  const { villages } = deps;
  let head = 0;
  /** Net credited per household, project × village. */
  const credited = new Map<number, Map<string, number>>();
  /** Sales per project × village. */
  const sales = new Map<string, number>();
  /** Payouts less reversals per household, per attributed project × village ('' = none). */
  const attributed = new Map<number, Map<string, number>>();
  let snapshot: Snapshot | null = null;
  let disclosureInput = '';

  const addTo = (map: Map<string, number>, key: string, fen: number) => map.set(key, (map.get(key) ?? 0) + fen);
  const householdMap = (outer: Map<number, Map<string, number>>, householdId: number) =>
    outer.get(householdId) ?? outer.set(householdId, new Map()).get(householdId)!;

  /**
   * Brings the sums up to the ledger's head. The postings after the last one seen are read in one
   * unit; they are added only if no other refresh added them meanwhile (an engine that awaits each
   * step can run two at once), else the sums are looked at again.
   */
  async function refresh(): Promise<Snapshot> {
    for (;;) {
      const seen = head;
      const read = await db.uow.read(function* (tx) {
        const now = yield* impactHead(tx);
        if (now === seen && snapshot) return null;
        // Only a replaced database can shrink the ledger: start again.
        const from = now < seen ? 0 : seen;
        return {
          now,
          from,
          credited: yield* creditedSince(tx, from, now),
          sales: yield* salesSince(tx, from, now),
          attributed: yield* attributedSince(tx, from, now),
          // The villages the figures are disclosed for, in the same snapshot.
          villageIds: (yield* villages.readVillageNames(tx)).map((v) => v.id),
        };
      });
      if (read === null && snapshot) return snapshot;
      // The projects the figures are disclosed for, read before the check below: no await comes after it.
      const projectIds = (await deps.projects()).map((p) => p.id);
      if (head !== seen || !read) continue;
      if (read.from === 0) {
        credited.clear();
        sales.clear();
        attributed.clear();
      }
      // (household accounts always name their household: the join is on kind 'household_payable')
      for (const r of read.credited) addTo(householdMap(credited, r.householdId!), cellKey(r.projectId, r.villageId), r.fen);
      for (const r of read.sales) addTo(sales, cellKey(r.projectId, r.villageId), r.fen);
      for (const r of read.attributed) {
        addTo(householdMap(attributed, r.householdId!), r.projectId === null || r.villageId === null ? '' : cellKey(r.projectId, r.villageId), r.fen);
      }
      head = read.now;
      snapshot = build(projectIds, read.villageIds);
      return snapshot;
    }
  }

  function build(projectIds: number[], villageIds: number[]): Snapshot {
    const cells = new Map<string, CellFigures>();
    const cellOf = (key: string) => {
      let cell = cells.get(key);
      if (!cell) {
        const [projectId, villageId] = key.split(':').map(Number) as [number, number];
        cell = { projectId, villageId, salesFen: 0, creditedFen: 0, paidOutFen: 0, households: new Set() };
        cells.set(key, cell);
      }
      return cell;
    };
    for (const [key, fen] of sales) cellOf(key).salesFen += fen;
    const clawbacks: Snapshot['clawbacks'] = [];
    for (const householdId of new Set([...credited.keys(), ...attributed.keys()])) {
      const own = credited.get(householdId) ?? new Map<string, number>();
      const paid = attributed.get(householdId) ?? new Map<string, number>();
      const buckets: BucketTotals[] = [...new Set([...own.keys(), ...paid.keys()])]
        .filter((key) => key !== '')
        .map((key) => {
          const [projectId, villageId] = key.split(':').map(Number) as [number, number];
          return { projectId, villageId, creditedFen: own.get(key) ?? 0, attributedFen: paid.get(key) ?? 0 };
        });
      const settled = settle(buckets, paid.get('') ?? 0);
      if (settled.clawbackFen > 0) clawbacks.push({ householdId, clawbackFen: settled.clawbackFen });
      for (const b of settled.buckets) {
        const cell = cellOf(cellKey(b.projectId, b.villageId));
        cell.creditedFen += b.creditedFen;
        cell.paidOutFen += b.paidFen;
        if (b.creditedFen > 0) cell.households.add(householdId);
      }
    }
    const list = [...cells.values()];
    // The disclosure depends only on which households are in which cells: decide it again only when that changes.
    const disclosureCells: Cell[] = list
      .filter((c) => c.households.size > 0)
      .map((c) => ({ projectId: c.projectId, villageId: c.villageId, households: [...c.households].sort((a, b) => a - b) }));
    const scopes = { projects: projectIds, villages: villageIds };
    const input = JSON.stringify([disclosureCells.map((c) => [c.projectId, c.villageId, c.households]), scopes]);
    const disclosure = input === disclosureInput && snapshot ? snapshot.disclosure : decideDisclosure(disclosureCells, scopes);
    disclosureInput = input;
    clawbacks.sort((a, b) => b.clawbackFen - a.clawbackFen || a.householdId - b.householdId);
    return { cells: list, disclosure, clawbacks };
  }

  const keyOf = (scope: Scope): ScopeKey =>
    scope.projectId !== undefined ? `project:${scope.projectId}` : scope.villageId !== undefined ? `village:${scope.villageId}` : 'platform';
  const inScope = (scope: Scope) => (c: CellFigures) =>
    (scope.projectId === undefined || c.projectId === scope.projectId) && (scope.villageId === undefined || c.villageId === scope.villageId);

  function figuresOf({ cells, disclosure }: Snapshot, scope: Scope): PublicFigures {
    const households = disclosure.households.get(keyOf(scope)) ?? 0;
    if (!disclosure.published.has(keyOf(scope))) return { households, money: null };
    const money: MoneyFigures = { salesFen: 0, creditedFen: 0, paidOutFen: 0 };
    for (const c of cells.filter(inScope(scope))) {
      money.salesFen += c.salesFen;
      money.creditedFen += c.creditedFen;
      money.paidOutFen += c.paidOutFen;
    }
    return { households, money };
  }

  async function namedHouseholds({ cells }: Snapshot, scope: Scope): Promise<NamedHouseholds | null> {
    const ids = [...new Set(cells.filter(inScope(scope)).flatMap((c) => [...c.households]))].sort((a, b) => a - b);
    if (ids.length < MIN_NAMED_GROUP) return null;
    const named = (await villages.publicHouseholds(ids)).flatMap((h) => (h.displayName ? [h.displayName] : [])).sort((a, b) => a.localeCompare(b, 'zh-CN'));
    return { named, unnamed: ids.length - named.length };
  }

  return {
    shopFigures: async () => figuresOf(await refresh(), {}),
    projectFigures: async (projectId: number) => figuresOf(await refresh(), { projectId }),
    villageFigures: async (villageId: number) => figuresOf(await refresh(), { villageId }),

    /**
     * Households paid more than they were credited (a refund after a payout): what each owes back,
     * netted from its next earnings. Not public: for the coordinators' reconciliation.
     */
    clawbacks: async () => (await refresh()).clawbacks,

    /** Everything /impact shows. */
    async impactPage() {
      // Everything below reads this one snapshot of the sums, whatever refreshes meanwhile.
      const now = await refresh();
      const [projectList, villageList] = await Promise.all([deps.projects(), villages.villageNames()]);
      return {
        shop: figuresOf(now, {}),
        projects: await Promise.all(
          projectList.map(async (p) => ({
            subject: p,
            figures: figuresOf(now, { projectId: p.id }),
            households: await namedHouseholds(now, { projectId: p.id }),
          })),
        ),
        villages: await Promise.all(
          villageList.map(async (v) => ({
            subject: v,
            figures: figuresOf(now, { villageId: v.id }),
            households: await namedHouseholds(now, { villageId: v.id }),
          })),
        ),
      };
    },
  };
}

export type ImpactService = ReturnType<typeof createImpactService>;
