import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';

export interface ProjectRow {
  id: number;
  slug: string;
  nameZh: string;
  nameEn: string | null;
  fundingSource: string;
  /** YYYY-MM-DD, inclusive. */
  startsOn: string | null;
  endsOn: string | null;
  /** Fen. */
  targetFen: number | null;
  storyZh: string;
  storyEn: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface SplitRuleRow {
  id: number;
  projectId: number;
  householdBp: number;
  projectFundBp: number;
  operationsBp: number;
  effectiveFrom: number;
  createdByUserId: number | null;
  createdByName: string | null;
  createdAt: number;
}

export interface ProjectInput {
  slug: string;
  nameZh: string;
  nameEn: string | null;
  fundingSource: string;
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

const PROJECT_COLUMNS = `id, slug, name_zh AS nameZh, name_en AS nameEn, funding_source AS fundingSource, starts_on AS startsOn, ends_on AS endsOn,
  target_fen AS targetFen, story_zh AS storyZh, story_en AS storyEn, created_at AS createdAt, updated_at AS updatedAt`;

const inList = (ids: readonly number[]) => (ids.length ? ids.map((id) => Number(id)).join(',') : 'NULL');

/** The ids of the households that concern some projects (see householdIdsOfProjects), as SQL. */
function householdsOfProjectsSql(projectIds: readonly number[]): string {
  const list = inList(projectIds);
  return `SELECT household_id AS id FROM project_households WHERE project_id IN (${list})
           UNION SELECT pm.household_id FROM producer_members pm JOIN order_lines ol ON ol.producer_id = pm.producer_id WHERE ol.project_id IN (${list})
           UNION SELECT a.household_id FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
                 JOIN order_lines ol ON ol.id = e.order_line_id WHERE a.household_id IS NOT NULL AND ol.project_id IN (${list})`;
}

/** Every SQL statement of project management. Writes run inside the service's transactions. */
export function createProjectManagementQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  return {
    transaction: <T>(fn: () => T): T => db.sqlite.transaction(fn).immediate(),

    projectsIn: (ids: readonly number[] | 'all') =>
      q(`SELECT ${PROJECT_COLUMNS} FROM projects ${ids === 'all' ? '' : `WHERE id IN (${inList(ids)})`} ORDER BY id`).all() as ProjectRow[],
    projectById: (id: number) => q(`SELECT ${PROJECT_COLUMNS} FROM projects WHERE id = ?`).get(id) as ProjectRow | undefined,
    projectIdBySlug: (slug: string) => (q(`SELECT id FROM projects WHERE slug = ?`).get(slug) as { id: number } | undefined)?.id,

    insertProject(p: ProjectInput, now: number): number {
      return Number(
        q(
          `INSERT INTO projects (slug, name_zh, name_en, funding_source, starts_on, ends_on, target_fen, story_zh, story_en, created_at, updated_at)
           VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
        ).run(p.slug, p.nameZh, p.nameEn, p.fundingSource, p.startsOn, p.endsOn, p.targetFen, p.storyZh, p.storyEn, now, now).lastInsertRowid,
      );
    },
    updateProject: (id: number, p: ProjectInput, now: number) =>
      q(
        `UPDATE projects SET slug = ?, name_zh = ?, name_en = ?, funding_source = ?, starts_on = ?, ends_on = ?, target_fen = ?, story_zh = ?, story_en = ?, updated_at = ?
         WHERE id = ?`,
      ).run(p.slug, p.nameZh, p.nameEn, p.fundingSource, p.startsOn, p.endsOn, p.targetFen, p.storyZh, p.storyEn, now, id),

    /** Every rule of a project, newest first (the first is the one in force, unless scheduled later). */
    splitRules: (projectId: number) =>
      q(
        `SELECT r.id, r.project_id AS projectId, r.household_bp AS householdBp, r.project_fund_bp AS projectFundBp, r.operations_bp AS operationsBp,
                r.effective_from AS effectiveFrom, r.created_by_user_id AS createdByUserId, u.display_name AS createdByName, r.created_at AS createdAt
         FROM project_split_rules r LEFT JOIN users u ON u.id = r.created_by_user_id
         WHERE r.project_id = ? ORDER BY r.effective_from DESC, r.id DESC`,
      ).all(projectId) as SplitRuleRow[],
    /** The rule in force at `at` (same choice as the order service makes at payment time). */
    splitRuleAt: (projectId: number, at: number) =>
      q(
        `SELECT id, household_bp AS householdBp, project_fund_bp AS projectFundBp, operations_bp AS operationsBp FROM project_split_rules
         WHERE project_id = ? AND effective_from <= ? ORDER BY effective_from DESC, id DESC LIMIT 1`,
      ).get(projectId, at) as (SplitInput & { id: number }) | undefined,
    insertSplitRule(projectId: number, s: SplitInput, effectiveFrom: number, userId: number, now: number): number {
      return Number(
        q(
          `INSERT INTO project_split_rules (project_id, household_bp, project_fund_bp, operations_bp, effective_from, created_by_user_id, created_at)
           VALUES (?,?,?,?,?,?,?)`,
        ).run(projectId, s.householdBp, s.projectFundBp, s.operationsBp, effectiveFrom, userId, now).lastInsertRowid,
      );
    },

    enrolledHouseholdIds: (projectId: number) =>
      (q(`SELECT household_id AS id FROM project_households WHERE project_id = ? ORDER BY household_id`).all(projectId) as { id: number }[]).map((r) => r.id),
    enrolmentCounts: () =>
      q(`SELECT project_id AS projectId, count(*) AS n FROM project_households GROUP BY project_id`).all() as { projectId: number; n: number }[],
    enrol: (projectId: number, householdId: number, now: number) =>
      q(`INSERT OR IGNORE INTO project_households (project_id, household_id, enrolled_at) VALUES (?,?,?)`).run(projectId, householdId, now),
    unenrol: (projectId: number, householdId: number) =>
      q(`DELETE FROM project_households WHERE project_id = ? AND household_id = ?`).run(projectId, householdId),
    existingHouseholdIds: (ids: readonly number[]) => (q(`SELECT id FROM households WHERE id IN (${inList(ids)})`).all() as { id: number }[]).map((r) => r.id),

    /** Households of the villages some projects sell from (a producer there has a product in one of them). */
    householdIdsOfProjectVillages: (projectIds: readonly number[]) =>
      (
        q(
          `SELECT h.id FROM households h WHERE h.village_id IN (
             SELECT pr.village_id FROM products p JOIN producers pr ON pr.id = p.producer_id WHERE p.project_id IN (${inList(projectIds)}))`,
        ).all() as { id: number }[]
      ).map((r) => r.id),

    /** Project ids each household is enrolled in. */
    enrolments: () =>
      q(`SELECT household_id AS householdId, project_id AS projectId FROM project_households ORDER BY project_id`).all() as {
        householdId: number;
        projectId: number;
      }[],

    /**
     * Households that concern some projects: enrolled in one, a member of a producer with a line in
     * one, or credited from a line of one (membership may have changed since).
     */
    householdIdsOfProjects: (projectIds: readonly number[]) => (q(householdsOfProjectsSql(projectIds)).all() as { id: number }[]).map((r) => r.id),

    /**
     * Per kind of entity of the audit log, an SQL condition on an entity id (text) that holds when
     * the object concerns some projects: the project itself, an order with a line (or the wish) of
     * one, a payout that paid some of their money, a household they see (as householdIdsOfProjects),
     * a product (and its producer, its lots, the quotes for it) of one, a wish of one.
     */
    auditConditions(projectIds: readonly number[]): Record<string, (entityId: string) => string> {
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
        product: (id) => `EXISTS (SELECT 1 FROM products p WHERE p.id = ${num(id)} AND p.project_id IN (${list}))`,
        producer: (id) => `EXISTS (SELECT 1 FROM products p WHERE p.producer_id = ${num(id)} AND p.project_id IN (${list}))`,
        lot: (id) => `EXISTS (SELECT 1 FROM lots lo JOIN products p ON p.id = lo.product_id WHERE lo.code = ${id} AND p.project_id IN (${list}))`,
        quote: (id) => `EXISTS (SELECT 1 FROM quotes qu JOIN products p ON p.id = qu.product_id WHERE qu.id = ${num(id)} AND p.project_id IN (${list}))`,
        wish: (id) => `EXISTS (SELECT 1 FROM wishes w WHERE w.id = ${num(id)} AND w.project_id IN (${list}))`,
      };
    },
  };
}

export type ProjectManagementQueries = ReturnType<typeof createProjectManagementQueries>;
