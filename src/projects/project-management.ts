import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import { createProjectManagementQueries, type ProjectInput, type ProjectRow, type SplitInput, type SplitRuleRow } from './project-management-queries.js';

/** Which projects a coordinator works on: every one, or those listed on their account. */
export type ProjectScope = 'all' | readonly number[];

export function projectScopeOf(actor: CurrentUser): ProjectScope {
  if (actor.role !== 'coordinator') return [];
  return actor.allProjects ? 'all' : actor.projectIds;
}

const inScope = (scope: ProjectScope, projectId: number) => scope === 'all' || scope.includes(projectId);

const toInput = (p: ProjectInput): ProjectInput => ({
  slug: p.slug,
  nameZh: p.nameZh,
  nameEn: p.nameEn,
  fundingSource: p.fundingSource,
  startsOn: p.startsOn,
  endsOn: p.endsOn,
  targetFen: p.targetFen,
  storyZh: p.storyZh,
  storyEn: p.storyEn,
});

/**
 * The coordinator's projects: details, split rules (append-only history; a change applies to
 * payments from now on) and enrolled households. Every function takes the acting coordinator; a
 * project outside their scope "does not exist". Also decides which households a coordinator sees.
 */
export function createProjectManagement(db: Database_, deps: { clock: Clock; audit: AuditService }) {
  const queries = createProjectManagementQueries(db);
  const { clock, audit } = deps;

  function project(actor: CurrentUser, id: number): ProjectRow {
    const row = queries.projectById(id);
    if (!row || !inScope(projectScopeOf(actor), id)) throw new AppError('not_found', 'project_not_found');
    return row;
  }

  function assertSlugFree(slug: string, exceptId?: number) {
    const owner = queries.projectIdBySlug(slug);
    if (owner !== undefined && owner !== exceptId)
      throw new AppError('validation', 'project_slug_taken', undefined, { fields: { slug: 'project_slug_taken' } });
  }

  /** Households a coordinator may see: all, or those of their projects (see householdIdsOfProjects). */
  function householdScope(actor: CurrentUser): 'all' | Set<number> {
    const scope = projectScopeOf(actor);
    if (scope === 'all') return 'all';
    return new Set(queries.householdIdsOfProjects(scope));
  }

  /**
   * Households a coordinator may enrol in their projects. A coordinator of all projects: every
   * household. A scoped coordinator: those they already see (householdScope) and the households of
   * the villages their projects sell from; anyone else is enrolled by a coordinator of all projects.
   * Enrolling never shows them another project's money: their household pages and payouts count
   * only what their own projects credited and paid (LedgerReports.forProjects, ledger/attribution.ts).
   */
  function enrolmentCandidates(actor: CurrentUser): 'all' | Set<number> {
    const scope = projectScopeOf(actor);
    if (scope === 'all') return 'all';
    return new Set([...queries.householdIdsOfProjects(scope), ...queries.householdIdsOfProjectVillages(scope)]);
  }

  return {
    project,
    enrolmentCandidates,

    /** The coordinator's projects with the rule in force now and how many households are enrolled. */
    projects(actor: CurrentUser) {
      const counts = new Map(queries.enrolmentCounts().map((c) => [c.projectId, c.n]));
      const now = clock();
      return queries.projectsIn(projectScopeOf(actor)).map((p) => ({
        ...p,
        rule: queries.splitRuleAt(p.id, now) ?? null,
        enrolled: counts.get(p.id) ?? 0,
      }));
    },

    canCreate: (actor: CurrentUser) => actor.role === 'coordinator' && actor.allProjects,

    /** A new project and its first split rule, effective now. Only a coordinator of all projects may. */
    create(actor: CurrentUser, form: ProjectInput & SplitInput, address: string | null): number {
      if (actor.role !== 'coordinator' || !actor.allProjects) throw new AppError('forbidden', 'forbidden');
      return queries.transaction(() => {
        assertSlugFree(form.slug);
        const now = clock();
        const id = queries.insertProject(toInput(form), now);
        const split = { householdBp: form.householdBp, projectFundBp: form.projectFundBp, operationsBp: form.operationsBp };
        const ruleId = queries.insertSplitRule(id, split, now, actor.id, now);
        audit.record({
          userId: actor.id,
          action: 'project.create',
          entityType: 'project',
          entityId: id,
          after: { ...toInput(form), split: { id: ruleId, ...split } },
          address,
        });
        return id;
      });
    },

    update(actor: CurrentUser, id: number, form: ProjectInput, address: string | null): void {
      queries.transaction(() => {
        const before = project(actor, id);
        assertSlugFree(form.slug, id);
        queries.updateProject(id, toInput(form), clock());
        audit.record({
          userId: actor.id,
          action: 'project.update',
          entityType: 'project',
          entityId: id,
          before: toInput(before),
          after: toInput(form),
          address,
        });
      });
    },

    /**
     * A new split rule effective from now. The old rules stay (the table refuses updates), so each
     * payment keeps the rule it was posted under; only payments from now on use this one.
     */
    changeSplit(actor: CurrentUser, id: number, split: SplitInput, address: string | null): number {
      return queries.transaction(() => {
        project(actor, id);
        const now = clock();
        const before = queries.splitRuleAt(id, now) ?? null;
        const ruleId = queries.insertSplitRule(id, split, now, actor.id, now);
        audit.record({
          userId: actor.id,
          action: 'project.split_rule',
          entityType: 'project',
          entityId: id,
          before,
          after: { id: ruleId, ...split, effectiveFrom: now },
          address,
        });
        return ruleId;
      });
    },

    splitHistory(actor: CurrentUser, id: number): SplitRuleRow[] {
      project(actor, id);
      return queries.splitRules(id);
    },

    currentSplit: (projectId: number) => queries.splitRuleAt(projectId, clock()) ?? null,

    enrolledHouseholdIds(actor: CurrentUser, id: number): number[] {
      project(actor, id);
      return queries.enrolledHouseholdIds(id);
    },

    /**
     * Sets which households are enrolled in the project (a household may be in several projects);
     * a scoped coordinator may add only households of enrolmentCandidates.
     */
    setEnrolment(actor: CurrentUser, id: number, householdIds: readonly number[], address: string | null): { added: number[]; removed: number[] } {
      return queries.transaction(() => {
        project(actor, id);
        const wanted = [...new Set(householdIds)];
        const existing = new Set(queries.existingHouseholdIds(wanted));
        const current = new Set(queries.enrolledHouseholdIds(id));
        const candidates = enrolmentCandidates(actor);
        // A household outside what the coordinator may enrol is refused exactly like one that does not exist.
        if (wanted.some((h) => !existing.has(h) || (candidates !== 'all' && !current.has(h) && !candidates.has(h)))) {
          throw new AppError('validation', 'household_not_found', undefined, { fields: { householdIds: 'household_not_found' } });
        }
        const added = wanted.filter((h) => !current.has(h));
        const removed = [...current].filter((h) => !wanted.includes(h));
        const now = clock();
        for (const h of added) queries.enrol(id, h, now);
        for (const h of removed) queries.unenrol(id, h);
        if (added.length || removed.length) {
          audit.record({
            userId: actor.id,
            action: 'project.enrolment',
            entityType: 'project',
            entityId: id,
            before: { householdIds: [...current] },
            after: { added, removed },
            address,
          });
        }
        return { added, removed };
      });
    },

    /** Project ids per household (enrolments), for lists. */
    enrolmentsByHousehold(): Map<number, number[]> {
      const map = new Map<number, number[]>();
      for (const e of queries.enrolments()) map.set(e.householdId, [...(map.get(e.householdId) ?? []), e.projectId]);
      return map;
    },

    /** Every project (names for labels), regardless of scope. */
    allProjects: () => queries.projectsIn('all'),

    householdScope,

    /** The audit log entries about objects of some projects, as conditions per kind of entity (AuditVisibility). */
    auditConditions: (projectIds: readonly number[]) => queries.auditConditions(projectIds),

    /**
     * The per-household check of the money pages: a household is visible to a coordinator of all
     * projects, or when it concerns one of their projects; otherwise it "does not exist".
     */
    assertHousehold(actor: CurrentUser, householdId: number): void {
      if (actor.role !== 'coordinator') throw new AppError('not_found', 'household_not_found');
      const scope = householdScope(actor);
      if (scope !== 'all' && !scope.has(householdId)) throw new AppError('not_found', 'household_not_found');
    },
  };
}

export type ProjectManagement = ReturnType<typeof createProjectManagement>;
