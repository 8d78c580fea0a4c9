import { MIN_NAMED_GROUP } from '../orders/benefit.js';
import type { VillagesService } from '../villages/villages-service.js';
import type { ImpactQueries } from './impact-queries.js';

/** Ledger-derived public figures of a scope (fen, and households reached). */
export interface PublicFigures {
  salesFen: number;
  creditedFen: number;
  paidOutFen: number;
  households: number;
}

/**
 * Who in a group may be named in public: households that agreed, by their display name, and only
 * when the group has at least MIN_NAMED_GROUP households (a smaller group is shown as a total only,
 * so no household's earnings can be singled out).
 */
export interface NamedHouseholds {
  /** Consented display names with what the household was credited (fen), largest first. */
  named: { name: string; creditedFen: number }[];
  /** Households in the group that are not named (no consent or no display name). */
  unnamed: number;
}

type Scope = { projectId?: number; villageId?: number };

/**
 * The public proof of benefit: sales, amounts credited and paid out to households, and households
 * reached, per project, per village and for the whole shop — the figures of
 * ledger-reports.publicFigures, summed from the ledger.
 *
 * The ledger is append-only, so the sums are kept in memory and brought up to date from the
 * postings after the last one seen: a page costs one look at the ledger's head, not a pass over
 * every entry ever posted (which at a few hundred thousand orders takes about a second).
 */
export function createImpactService(
  queries: ImpactQueries,
  deps: { villages: VillagesService; projects: () => { id: number; slug: string; nameZh: string; nameEn: string | null }[] },
) {
  const { villages } = deps;
  let head = 0;
  /** Net credited per project × village × household (households stay once they had an entry). */
  const credited = new Map<string, { projectId: number; villageId: number; householdId: number; fen: number }>();
  /** Sales per project × village. */
  const sales = new Map<string, { projectId: number; villageId: number; fen: number }>();
  /** Paid out per household. */
  const paidOut = new Map<number, number>();

  function refresh(): void {
    const now = queries.head();
    if (now === head) return;
    if (now < head) {
      // Only a replaced database can shrink the ledger: start again.
      credited.clear();
      sales.clear();
      paidOut.clear();
      head = 0;
    }
    for (const r of queries.creditedSince(head, now)) {
      const key = `${r.projectId}:${r.villageId}:${r.householdId}`;
      const row = credited.get(key) ?? { projectId: r.projectId, villageId: r.villageId, householdId: r.householdId, fen: 0 };
      row.fen += r.fen;
      credited.set(key, row);
    }
    for (const r of queries.salesSince(head, now)) {
      const key = `${r.projectId}:${r.villageId}`;
      const row = sales.get(key) ?? { projectId: r.projectId, villageId: r.villageId, fen: 0 };
      row.fen += r.fen;
      sales.set(key, row);
    }
    for (const r of queries.paidOutSince(head, now)) paidOut.set(r.householdId, (paidOut.get(r.householdId) ?? 0) + r.fen);
    head = now;
  }

  const inScope = (scope: Scope) => (r: { projectId: number; villageId: number }) =>
    (scope.projectId === undefined || r.projectId === scope.projectId) && (scope.villageId === undefined || r.villageId === scope.villageId);

  /** Households whose payouts count for a scope: a project's enrolled households, a village's households, or all. */
  function householdsOf(scope: Scope): Set<number> | null {
    if (scope.projectId !== undefined) return new Set(queries.householdsOfProject(scope.projectId));
    if (scope.villageId !== undefined) return new Set(queries.householdsOfVillage(scope.villageId));
    return null;
  }

  function figures(scope: Scope): PublicFigures {
    refresh();
    const match = inScope(scope);
    let salesFen = 0;
    for (const s of sales.values()) if (match(s)) salesFen += s.fen;
    let creditedFen = 0;
    const reached = new Set<number>();
    for (const c of credited.values()) {
      if (!match(c)) continue;
      creditedFen += c.fen;
      reached.add(c.householdId);
    }
    const members = householdsOf(scope);
    let paidOutFen = 0;
    for (const [householdId, fen] of paidOut) if (members === null || members.has(householdId)) paidOutFen += fen;
    return { salesFen, creditedFen, paidOutFen, households: reached.size };
  }

  /** Per household, what a scope credited it (net, positive only), largest first. */
  function creditedByHousehold(scope: Scope): { householdId: number; creditedFen: number }[] {
    refresh();
    const match = inScope(scope);
    const per = new Map<number, number>();
    for (const c of credited.values()) if (match(c)) per.set(c.householdId, (per.get(c.householdId) ?? 0) + c.fen);
    return [...per]
      .filter(([, fen]) => fen > 0)
      .map(([householdId, creditedFen]) => ({ householdId, creditedFen }))
      .sort((a, b) => b.creditedFen - a.creditedFen || a.householdId - b.householdId);
  }

  function namedHouseholds(scope: Scope): NamedHouseholds | null {
    const list = creditedByHousehold(scope);
    if (list.length < MIN_NAMED_GROUP) return null;
    const names = new Map(villages.publicHouseholds(list.map((c) => c.householdId)).map((h) => [h.id, h.displayName]));
    const named = list.flatMap((c) => {
      const name = names.get(c.householdId);
      return name ? [{ name, creditedFen: c.creditedFen }] : [];
    });
    return { named, unnamed: list.length - named.length };
  }

  return {
    shopFigures: () => figures({}),
    projectFigures: (projectId: number) => figures({ projectId }),
    villageFigures: (villageId: number) => figures({ villageId }),
    creditedByHousehold,

    /** Everything /impact shows. */
    impactPage() {
      return {
        shop: figures({}),
        projects: deps.projects().map((p) => ({ subject: p, figures: figures({ projectId: p.id }), households: namedHouseholds({ projectId: p.id }) })),
        villages: villages.villageNames().map((v) => ({ subject: v, figures: figures({ villageId: v.id }), households: namedHouseholds({ villageId: v.id }) })),
      };
    },
  };
}

export type ImpactService = ReturnType<typeof createImpactService>;
