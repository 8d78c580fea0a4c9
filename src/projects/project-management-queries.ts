import { and, asc, count, desc, eq, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import { users } from '../accounts/schema.js';
import { products } from '../catalog/schema.js';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { ledgerAccounts, ledgerEntries } from '../ledger/schema.js';
import { orderLines } from '../orders/schema.js';
import { households, producerMembers, producers } from '../villages/schema.js';
import { projectHouseholds, projects, projectSplitRules } from './schema.js';

export type Project = typeof projects.$inferSelect;

export interface ProjectInput {
  slug: string;
  nameZh: string;
  nameEn: string | null;
  fundingSource: string;
  fundingSourceEn: string | null;
  startsOn: string | null;
  endsOn: string | null;
  targetFen: number | null;
  storyZh: string;
  storyEn: string | null;
}

export interface SplitInput {
  householdBp: number;
  projectFundBp: number;
  operationsBp: number;
}

const inList = (ids: readonly number[]) => (ids.length ? ids.map((id) => Number(id)).join(',') : 'NULL');

/** The ids of the households that concern some projects (see householdIdsOfProjects), as SQL text for the audit log's conditions. */
function householdsOfProjectsSql(projectIds: readonly number[]): string {
  const list = inList(projectIds);
  return `SELECT household_id AS id FROM project_households WHERE project_id IN (${list})
           UNION SELECT pm.household_id FROM producer_members pm JOIN order_lines ol ON ol.producer_id = pm.producer_id WHERE ol.project_id IN (${list})
           UNION SELECT a.household_id FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
                 JOIN order_lines ol ON ol.id = e.order_line_id WHERE a.household_id IS NOT NULL AND ol.project_id IN (${list})`;
}

export function* projectsIn(tx: Tx, ids: readonly number[] | 'all'): Query<Project[]> {
  if (ids !== 'all' && ids.length === 0) return [];
  return yield* all(
    tx
      .select()
      .from(projects)
      .where(ids === 'all' ? undefined : inArray(projects.id, [...ids]))
      .orderBy(asc(projects.id)),
  );
}

export function* projectById(tx: Tx, id: number): Query<Project | undefined> {
  return yield* one(tx.select().from(projects).where(eq(projects.id, id)));
}

export function* projectIdBySlug(tx: Tx, slug: string): Query<number | undefined> {
  return (yield* one(tx.select({ id: projects.id }).from(projects).where(eq(projects.slug, slug))))?.id;
}

export function* insertProject(tx: Tx, p: ProjectInput, now: number): Query<number> {
  const row = yield* one(
    tx
      .insert(projects)
      .values({ ...p, createdAt: now, updatedAt: now })
      .returning({ id: projects.id }),
  );
  return row!.id;
}

export function* updateProject(tx: Tx, id: number, p: ProjectInput, now: number): Query<void> {
  yield* run(
    tx
      .update(projects)
      .set({ ...p, updatedAt: now })
      .where(eq(projects.id, id)),
  );
}

/** Every rule of a project, newest first (the first is the one in force, unless scheduled later). */
export function* splitRules(tx: Tx, projectId: number) {
  return yield* all(
    tx
      .select({
        id: projectSplitRules.id,
        projectId: projectSplitRules.projectId,
        householdBp: projectSplitRules.householdBp,
        projectFundBp: projectSplitRules.projectFundBp,
        operationsBp: projectSplitRules.operationsBp,
        effectiveFrom: projectSplitRules.effectiveFrom,
        createdByUserId: projectSplitRules.createdByUserId,
        createdByName: users.displayName,
        createdAt: projectSplitRules.createdAt,
      })
      .from(projectSplitRules)
      .leftJoin(users, eq(users.id, projectSplitRules.createdByUserId))
      .where(eq(projectSplitRules.projectId, projectId))
      .orderBy(desc(projectSplitRules.effectiveFrom), desc(projectSplitRules.id)),
  );
}
export type SplitRule = typeof splitRules extends (...args: never[]) => Query<(infer R)[]> ? R : never;

/** The rule in force at `at` (same choice as the order service makes at payment time). */
export function* splitRuleAt(tx: Tx, projectId: number, at: number) {
  return yield* one(
    tx
      .select({
        id: projectSplitRules.id,
        householdBp: projectSplitRules.householdBp,
        projectFundBp: projectSplitRules.projectFundBp,
        operationsBp: projectSplitRules.operationsBp,
      })
      .from(projectSplitRules)
      .where(and(eq(projectSplitRules.projectId, projectId), lte(projectSplitRules.effectiveFrom, at)))
      .orderBy(desc(projectSplitRules.effectiveFrom), desc(projectSplitRules.id))
      .limit(1),
  );
}

export function* insertSplitRule(tx: Tx, projectId: number, s: SplitInput, effectiveFrom: number, userId: number, now: number): Query<number> {
  const row = yield* one(
    tx
      .insert(projectSplitRules)
      .values({
        projectId,
        householdBp: s.householdBp,
        projectFundBp: s.projectFundBp,
        operationsBp: s.operationsBp,
        effectiveFrom,
        createdByUserId: userId,
        createdAt: now,
      })
      .returning({ id: projectSplitRules.id }),
  );
  return row!.id;
}

export function* enrolledHouseholdIds(tx: Tx, projectId: number): Query<number[]> {
  const rows = yield* all(
    tx
      .select({ id: projectHouseholds.householdId })
      .from(projectHouseholds)
      .where(eq(projectHouseholds.projectId, projectId))
      .orderBy(asc(projectHouseholds.householdId)),
  );
  return rows.map((r) => r.id);
}

export function* enrolmentCounts(tx: Tx) {
  return yield* all(tx.select({ projectId: projectHouseholds.projectId, n: count() }).from(projectHouseholds).groupBy(projectHouseholds.projectId));
}

export function* enrol(tx: Tx, projectId: number, householdId: number, now: number): Query<void> {
  yield* run(tx.insert(projectHouseholds).values({ projectId, householdId, enrolledAt: now }).onConflictDoNothing());
}

export function* unenrol(tx: Tx, projectId: number, householdId: number): Query<void> {
  yield* run(tx.delete(projectHouseholds).where(and(eq(projectHouseholds.projectId, projectId), eq(projectHouseholds.householdId, householdId))));
}

export function* existingHouseholdIds(tx: Tx, ids: readonly number[]): Query<number[]> {
  if (ids.length === 0) return [];
  const rows = yield* all(
    tx
      .select({ id: households.id })
      .from(households)
      .where(inArray(households.id, [...ids])),
  );
  return rows.map((r) => r.id);
}

/** Households of the villages some projects sell from (a producer there has a product in one of them). */
export function* householdIdsOfProjectVillages(tx: Tx, projectIds: readonly number[]): Query<number[]> {
  if (projectIds.length === 0) return [];
  const villagesSold = tx
    .select({ villageId: producers.villageId })
    .from(products)
    .innerJoin(producers, eq(producers.id, products.producerId))
    .where(inArray(products.projectId, [...projectIds]));
  const rows = yield* all(tx.select({ id: households.id }).from(households).where(inArray(households.villageId, villagesSold)));
  return rows.map((r) => r.id);
}

/** Project ids each household is enrolled in. */
export function* enrolments(tx: Tx) {
  return yield* all(
    tx
      .select({ householdId: projectHouseholds.householdId, projectId: projectHouseholds.projectId })
      .from(projectHouseholds)
      .orderBy(asc(projectHouseholds.projectId)),
  );
}

/**
 * Households that concern some projects: enrolled in one, a member of a producer with a line in
 * one, or credited from a line of one (membership may have changed since).
 */
export function* householdIdsOfProjects(tx: Tx, projectIds: readonly number[]): Query<number[]> {
  if (projectIds.length === 0) return [];
  const ids = [...projectIds];
  const enrolled = tx.select({ id: projectHouseholds.householdId }).from(projectHouseholds).where(inArray(projectHouseholds.projectId, ids));
  const members = tx
    .select({ id: producerMembers.householdId })
    .from(producerMembers)
    .innerJoin(orderLines, eq(orderLines.producerId, producerMembers.producerId))
    .where(inArray(orderLines.projectId, ids));
  const credited = tx
    .select({ id: sql<number>`${ledgerAccounts.householdId}` })
    .from(ledgerEntries)
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
    .innerJoin(orderLines, eq(orderLines.id, ledgerEntries.orderLineId))
    .where(and(isNotNull(ledgerAccounts.householdId), inArray(orderLines.projectId, ids)));
  const rows = yield* all(enrolled.union(members).union(credited));
  return rows.map((r) => r.id);
}

/**
 * Per kind of entity of the audit log, an SQL condition on an entity id (text) that holds when
 * the object concerns some projects: the project itself, an order with a line (or the wish) of
 * one, a payout that paid some of their money, a household they see (as householdIdsOfProjects),
 * a product (and its producer, its lots, the quotes for it) of one, a wish of one, a payout request
 * they may see (its household one they see, its requester's projects sharing one with theirs), a
 * bank batch or statement (entity id "<day or statement> #12 #13", see batchAuditId) with a payout
 * that paid some of their money.
 */
export function auditConditions(projectIds: readonly number[]): Record<string, (entityId: string) => string> {
  const list = inList(projectIds);
  const num = (entityId: string) => `CAST(${entityId} AS INTEGER)`;
  return {
    project: (id) => `${num(id)} IN (${list})`,
    order: (id) =>
      `EXISTS (SELECT 1 FROM orders o WHERE o.number = ${id} AND (EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id AND l.project_id IN (${list}))
         OR EXISTS (SELECT 1 FROM wishes w WHERE w.order_id = o.id AND w.project_id IN (${list}))))`,
    // A payout's parts carry their projects on its posting's household entries.
    payout: (id) =>
      `EXISTS (SELECT 1 FROM ledger_transactions pt JOIN ledger_entries pe ON pe.transaction_id = pt.id WHERE pt.idempotency_key = 'payout:' || ${num(id)} AND pe.project_id IN (${list}))`,
    household: (id) => `${num(id)} IN (${householdsOfProjectsSql(projectIds)})`,
    // A requester of every project stores no projects (NULL): their requests are any scoped coordinator's of the household.
    payout_request: (id) =>
      `EXISTS (SELECT 1 FROM payout_requests pr WHERE pr.id = ${num(id)} AND pr.household_id IN (${householdsOfProjectsSql(projectIds)})
         AND (pr.project_ids IS NULL OR ${projectIds.map((p) => `(',' || pr.project_ids || ',') LIKE '%,${Number(p)},%'`).join(' OR ') || 'FALSE'}))`,
    payout_batch: (id) =>
      `EXISTS (SELECT 1 FROM ledger_transactions bt JOIN ledger_entries be ON be.transaction_id = bt.id
         WHERE bt.kind = 'payout' AND be.project_id IN (${list}) AND (${id} || ' ') LIKE ('% #' || bt.payout_id || ' %'))`,
    product: (id) => `EXISTS (SELECT 1 FROM products p WHERE p.id = ${num(id)} AND p.project_id IN (${list}))`,
    producer: (id) => `EXISTS (SELECT 1 FROM products p WHERE p.producer_id = ${num(id)} AND p.project_id IN (${list}))`,
    lot: (id) => `EXISTS (SELECT 1 FROM lots lo JOIN products p ON p.id = lo.product_id WHERE lo.code = ${id} AND p.project_id IN (${list}))`,
    quote: (id) => `EXISTS (SELECT 1 FROM quotes qu JOIN products p ON p.id = qu.product_id WHERE qu.id = ${num(id)} AND p.project_id IN (${list}))`,
    wish: (id) => `EXISTS (SELECT 1 FROM wishes w WHERE w.id = ${num(id)} AND w.project_id IN (${list}))`,
  };
}
