import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { epochMs, nowMs } from '../db/columns.js';
import { households } from '../villages/schema.js';

/** A poverty-alleviation programme (扶贫先扶志, 小鸡快跑 …). */
export const projects = sqliteTable(
  'projects',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    slug: text('slug').notNull(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en'),
    /** e.g. 福彩公益金, 东西部协作资金. */
    fundingSource: text('funding_source').notNull().default(''),
    /** The funding source in English ("China Welfare Lottery Fund"); null: a known source's English name, else the Chinese. */
    fundingSourceEn: text('funding_source_en'),
    /** ISO dates (YYYY-MM-DD), inclusive. */
    startsOn: text('starts_on'),
    endsOn: text('ends_on'),
    /** Fundraising / sales target in fen. */
    targetFen: integer('target_fen'),
    storyZh: text('story_zh').notNull().default(''),
    storyEn: text('story_en'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
    updatedAt: epochMs('updated_at').notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex('projects_slug_uq').on(t.slug),
    check('projects_target_ck', sql`${t.targetFen} IS NULL OR ${t.targetFen} >= 0`),
    check('projects_slug_ck', sql`${t.slug} GLOB '[a-z0-9]*' AND length(${t.slug}) BETWEEN 1 AND 80`),
    check('projects_period_ck', sql`${t.startsOn} IS NULL OR ${t.endsOn} IS NULL OR ${t.startsOn} <= ${t.endsOn}`),
  ],
);

/**
 * How a project splits each line's net proceeds, in basis points (sum 10000).
 * Rules are never edited: a change inserts a new row effective from then on, so history is kept.
 */
export const projectSplitRules = sqliteTable(
  'project_split_rules',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id),
    householdBp: integer('household_bp').notNull(),
    projectFundBp: integer('project_fund_bp').notNull(),
    operationsBp: integer('operations_bp').notNull(),
    effectiveFrom: epochMs('effective_from').notNull().default(nowMs),
    createdByUserId: integer('created_by_user_id'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [
    index('project_split_rules_project_idx').on(t.projectId, t.effectiveFrom),
    check('project_split_rules_parts_ck', sql`${t.householdBp} >= 0 AND ${t.projectFundBp} >= 0 AND ${t.operationsBp} >= 0`),
    check('project_split_rules_sum_ck', sql`${t.householdBp} + ${t.projectFundBp} + ${t.operationsBp} = 10000`),
  ],
);

/** Households enrolled in a project. */
export const projectHouseholds = sqliteTable(
  'project_households',
  {
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id),
    householdId: integer('household_id')
      .notNull()
      .references(() => households.id),
    enrolledAt: epochMs('enrolled_at').notNull().default(nowMs),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.householdId] }), index('project_households_household_idx').on(t.householdId)],
);
