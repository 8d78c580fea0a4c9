import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import { AppError } from '../errors.js';
import {
  auditConditions,
  enrol,
  enrolledHouseholdIds,
  enrolmentCounts,
  enrolments,
  existingHouseholdIds,
  householdIdsOfProjects,
  householdIdsOfProjectVillages,
  insertProject,
  insertSplitRule,
  projectById,
  projectIdBySlug,
  projectsIn,
  splitRuleAt,
  splitRules,
  unenrol,
  updateProject,
  type Project,
  type ProjectInput,
  type SplitInput,
} from './project-management-queries.js';

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
  fundingSourceEn: p.fundingSourceEn,
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
 * Functions answer with promises; `checkHousehold` is offered as a generator of `tx` for other units.
 */
export function createProjectManagement(db: Database_, deps: { clock: Clock; audit: AuditService }) {
  const { clock, audit } = deps;

  function* project(tx: Tx, actor: CurrentUser, id: number): Query<Project> {
    const row = yield* projectById(tx, id);
    if (!row || !inScope(projectScopeOf(actor), id)) throw new AppError('not_found', 'project_not_found');
    return row;
  }

  function* assertSlugFree(tx: Tx, slug: string, exceptId?: number): Query<void> {
    const owner = yield* projectIdBySlug(tx, slug);
    if (owner !== undefined && owner !== exceptId)
      throw new AppError('validation', 'project_slug_taken', undefined, { fields: { slug: 'project_slug_taken' } });
  }

  /** Households a coordinator may see: all, or those of their projects (see householdIdsOfProjects). */
  function* householdScope(tx: Tx, actor: CurrentUser): Query<'all' | Set<number>> {
    const scope = projectScopeOf(actor);
    if (scope === 'all') return 'all';
    return new Set(yield* householdIdsOfProjects(tx, scope));
  }

  /**
   * Households a coordinator may enrol in their projects. A coordinator of all projects: every
   * household. A scoped coordinator: those they already see (householdScope) and the households of
   * the villages their projects sell from; anyone else is enrolled by a coordinator of all projects.
   * Enrolling never shows them another project's money: their household pages and payouts count
   * only what their own projects credited and paid (LedgerReports.forProjects, ledger/attribution.ts).
   */
  function* enrolmentCandidates(tx: Tx, actor: CurrentUser): Query<'all' | Set<number>> {
    const scope = projectScopeOf(actor);
    if (scope === 'all') return 'all';
    return new Set([...(yield* householdIdsOfProjects(tx, scope)), ...(yield* householdIdsOfProjectVillages(tx, scope))]);
  }

  /**
   * The per-household check of the money pages: a household is visible to a coordinator of all
   * projects, or when it concerns one of their projects; otherwise it "does not exist".
   */
  function* checkHousehold(tx: Tx, actor: CurrentUser, householdId: number): Query<void> {
    if (actor.role !== 'coordinator') throw new AppError('not_found', 'household_not_found');
    const scope = yield* householdScope(tx, actor);
    if (scope !== 'all' && !scope.has(householdId)) throw new AppError('not_found', 'household_not_found');
  }

  return {
    project: (actor: CurrentUser, id: number) => db.uow.read((tx) => project(tx, actor, id)),
    enrolmentCandidates: (actor: CurrentUser) => db.uow.read((tx) => enrolmentCandidates(tx, actor)),

    /** The coordinator's projects with the rule in force now and how many households are enrolled. */
    projects: (actor: CurrentUser) =>
      db.uow.read(function* (tx) {
        const counts = new Map((yield* enrolmentCounts(tx)).map((c) => [c.projectId, c.n]));
        const now = clock();
        const list = [];
        for (const p of yield* projectsIn(tx, projectScopeOf(actor))) {
          list.push({ ...p, rule: (yield* splitRuleAt(tx, p.id, now)) ?? null, enrolled: counts.get(p.id) ?? 0 });
        }
        return list;
      }),

    canCreate: (actor: CurrentUser) => actor.role === 'coordinator' && actor.allProjects,

    /** A new project and its first split rule, effective now. Only a coordinator of all projects may. */
    create: (actor: CurrentUser, form: ProjectInput & SplitInput, address: string | null) =>
      db.uow.write(function* (tx) {
        if (actor.role !== 'coordinator' || !actor.allProjects) throw new AppError('forbidden', 'forbidden');
        yield* assertSlugFree(tx, form.slug);
        const now = clock();
        const id = yield* insertProject(tx, toInput(form), now);
        const split = { householdBp: form.householdBp, projectFundBp: form.projectFundBp, operationsBp: form.operationsBp };
        const ruleId = yield* insertSplitRule(tx, id, split, now, actor.id, now);
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'project.create',
          entityType: 'project',
          entityId: id,
          after: { ...toInput(form), split: { id: ruleId, ...split } },
          address,
        });
        return id;
      }),

    update: (actor: CurrentUser, id: number, form: ProjectInput, address: string | null) =>
      db.uow.write(function* (tx) {
        const before = yield* project(tx, actor, id);
        yield* assertSlugFree(tx, form.slug, id);
        yield* updateProject(tx, id, toInput(form), clock());
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'project.update',
          entityType: 'project',
          entityId: id,
          before: toInput(before),
          after: toInput(form),
          address,
        });
      }),

    /**
     * A new split rule effective from now. The old rules stay (the table refuses updates), so each
     * payment keeps the rule it was posted under; only payments from now on use this one.
     */
    changeSplit: (actor: CurrentUser, id: number, split: SplitInput, address: string | null) =>
      db.uow.write(function* (tx) {
        yield* project(tx, actor, id);
        const now = clock();
        const before = (yield* splitRuleAt(tx, id, now)) ?? null;
        const ruleId = yield* insertSplitRule(tx, id, split, now, actor.id, now);
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'project.split_rule',
          entityType: 'project',
          entityId: id,
          before,
          after: { id: ruleId, ...split, effectiveFrom: now },
          address,
        });
        return ruleId;
      }),

    splitHistory: (actor: CurrentUser, id: number) =>
      db.uow.read(function* (tx) {
        yield* project(tx, actor, id);
        return yield* splitRules(tx, id);
      }),

    currentSplit: (projectId: number) =>
      db.uow.read(function* (tx) {
        return (yield* splitRuleAt(tx, projectId, clock())) ?? null;
      }),

    enrolledHouseholdIds: (actor: CurrentUser, id: number) =>
      db.uow.read(function* (tx) {
        yield* project(tx, actor, id);
        return yield* enrolledHouseholdIds(tx, id);
      }),

    /**
     * Sets which households are enrolled in the project (a household may be in several projects);
     * a scoped coordinator may add only households of enrolmentCandidates.
     */
    setEnrolment: (actor: CurrentUser, id: number, householdIds: readonly number[], address: string | null) =>
      db.uow.write(function* (tx): Query<{ added: number[]; removed: number[] }> {
        yield* project(tx, actor, id);
        const wanted = [...new Set(householdIds)];
        const existing = new Set(yield* existingHouseholdIds(tx, wanted));
        const current = new Set(yield* enrolledHouseholdIds(tx, id));
        const candidates = yield* enrolmentCandidates(tx, actor);
        // A household outside what the coordinator may enrol is refused exactly like one that does not exist.
        if (wanted.some((h) => !existing.has(h) || (candidates !== 'all' && !current.has(h) && !candidates.has(h)))) {
          throw new AppError('validation', 'household_not_found', undefined, { fields: { householdIds: 'household_not_found' } });
        }
        const added = wanted.filter((h) => !current.has(h));
        const removed = [...current].filter((h) => !wanted.includes(h));
        const now = clock();
        for (const h of added) yield* enrol(tx, id, h, now);
        for (const h of removed) yield* unenrol(tx, id, h);
        if (added.length || removed.length) {
          yield* audit.add(tx, {
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
      }),

    /** Project ids per household (enrolments), for lists. */
    enrolmentsByHousehold: () =>
      db.uow.read(function* (tx) {
        const map = new Map<number, number[]>();
        for (const e of yield* enrolments(tx)) map.set(e.householdId, [...(map.get(e.householdId) ?? []), e.projectId]);
        return map;
      }),

    /** Every project (names for labels), regardless of scope. */
    allProjects: () => db.uow.read((tx) => projectsIn(tx, 'all')),

    householdScope: (actor: CurrentUser) => db.uow.read((tx) => householdScope(tx, actor)),

    /** The audit log entries about objects of some projects, as conditions per kind of entity (AuditVisibility). */
    auditConditions: (projectIds: readonly number[]) => auditConditions(projectIds),

    checkHousehold,
    assertHousehold: (actor: CurrentUser, householdId: number) => db.uow.read((tx) => checkHousehold(tx, actor, householdId)),
  };
}

export type ProjectManagement = ReturnType<typeof createProjectManagement>;
