import type { LedgerReports } from '../ledger/ledger-reports.js';
import { MIN_NAMED_GROUP } from '../orders/benefit.js';
import type { VillagesService } from '../villages/villages-service.js';

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

/**
 * The public proof of benefit: sales, amounts credited and paid out to households, and households
 * reached, all summed from the ledger (ledger-reports), per project, per village and for the shop.
 */
export function createImpactService(deps: {
  reports: LedgerReports;
  villages: VillagesService;
  projects: () => { id: number; slug: string; nameZh: string; nameEn: string | null }[];
}) {
  const { reports, villages } = deps;

  function namedHouseholds(scope: { projectId?: number; villageId?: number }): NamedHouseholds | null {
    const credited = reports.creditedByHousehold(scope);
    if (credited.length < MIN_NAMED_GROUP) return null;
    const names = new Map(villages.publicHouseholds(credited.map((c) => c.householdId)).map((h) => [h.id, h.displayName]));
    const named = credited.flatMap((c) => {
      const name = names.get(c.householdId);
      return name ? [{ name, creditedFen: c.creditedFen }] : [];
    });
    return { named, unnamed: credited.length - named.length };
  }

  const figures = (scope: { projectId?: number; villageId?: number }): PublicFigures => reports.publicFigures(scope);

  return {
    shopFigures: () => figures({}),
    projectFigures: (projectId: number) => figures({ projectId }),
    villageFigures: (villageId: number) => figures({ villageId }),

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
