import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { epochMs, flag, nowMs } from '../db/columns.js';

/** Administrative region above a village: province → city → county → township. */
export const regions = sqliteTable(
  'regions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    province: text('province').notNull(),
    city: text('city').notNull(),
    county: text('county').notNull(),
    township: text('township').notNull(),
  },
  (t) => [uniqueIndex('regions_path_uq').on(t.province, t.city, t.county, t.township)],
);

export const villages = sqliteTable(
  'villages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    regionId: integer('region_id')
      .notNull()
      .references(() => regions.id),
    slug: text('slug').notNull(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en'),
    storyZh: text('story_zh').notNull().default(''),
    storyEn: text('story_en'),
    /** Flat shipping fee per order shipment from this village, in fen. */
    shippingFeeFen: integer('shipping_fee_fen').notNull().default(0),
    /** Shipment subtotal (fen) at or above which shipping is free; null = never free. */
    freeShippingOverFen: integer('free_shipping_over_fen'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex('villages_slug_uq').on(t.slug),
    check('villages_shipping_fee_ck', sql`${t.shippingFeeFen} >= 0`),
    check('villages_free_over_ck', sql`${t.freeShippingOverFen} IS NULL OR ${t.freeShippingOverFen} >= 0`),
    check('villages_slug_ck', sql`${t.slug} GLOB '[a-z0-9]*' AND length(${t.slug}) BETWEEN 1 AND 80`),
  ],
);

/**
 * A beneficiary family. Private fields (real name, phone, ID-card last 4, 建档立卡 number,
 * members) are for the village's first secretaries and coordinators only. Public pages use
 * displayName / publicStory and only when consentPublic is true.
 */
export const households = sqliteTable(
  'households',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    villageId: integer('village_id')
      .notNull()
      .references(() => villages.id),
    realName: text('real_name').notNull(),
    displayName: text('display_name'),
    publicStoryZh: text('public_story_zh'),
    publicStoryEn: text('public_story_en'),
    consentPublic: flag('consent_public').notNull().default(false),
    phone: text('phone'),
    idCardLast4: text('id_card_last4'),
    /** 建档立卡 registered-poor-household number. */
    povertyRegNo: text('poverty_reg_no'),
    /** Number of people in the household. */
    members: integer('members').notNull().default(1),
    /** Private, for bank-transfer payouts (批量代发): the account holder's name as the bank knows it. */
    bankAccountName: text('bank_account_name'),
    /** Private: the household's bank card or account number (digits; the form checks them: SQLite adds no check to a table without rebuilding it). */
    bankAccountNo: text('bank_account_no'),
    /** Private: the bank and branch, e.g. 中国农业银行登封支行. */
    bankName: text('bank_name'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
    updatedAt: epochMs('updated_at').notNull().default(nowMs),
  },
  (t) => [
    index('households_village_idx').on(t.villageId),
    check('households_members_ck', sql`${t.members} BETWEEN 1 AND 50`),
    check('households_idcard_ck', sql`${t.idCardLast4} IS NULL OR (length(${t.idCardLast4}) = 4 AND ${t.idCardLast4} GLOB '[0-9][0-9][0-9][0-9Xx]')`),
  ],
);

export const PRODUCER_KINDS = ['household', 'cooperative', 'enterprise'] as const;
export type ProducerKind = (typeof PRODUCER_KINDS)[number];

/** Who makes a product: one household, a cooperative of households, or an enterprise employing households. */
export const producers = sqliteTable(
  'producers',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    villageId: integer('village_id')
      .notNull()
      .references(() => villages.id),
    kind: text('kind', { enum: PRODUCER_KINDS }).notNull(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en'),
    /** Consented public story of the producer. */
    storyZh: text('story_zh').notNull().default(''),
    storyEn: text('story_en'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
    updatedAt: epochMs('updated_at').notNull().default(nowMs),
  },
  (t) => [index('producers_village_idx').on(t.villageId), check('producers_kind_ck', sql`${t.kind} IN ('household','cooperative','enterprise')`)],
);

/**
 * The households a producer's proceeds are shared between, with integer weights
 * (a cooperative's shares; an enterprise's employed households; a household producer has one row).
 */
export const producerMembers = sqliteTable(
  'producer_members',
  {
    producerId: integer('producer_id')
      .notNull()
      .references(() => producers.id, { onDelete: 'cascade' }),
    householdId: integer('household_id')
      .notNull()
      .references(() => households.id),
    weight: integer('weight').notNull().default(1),
  },
  (t) => [
    primaryKey({ columns: [t.producerId, t.householdId] }),
    index('producer_members_household_idx').on(t.householdId),
    check('producer_members_weight_ck', sql`${t.weight} BETWEEN 1 AND 1000000`),
  ],
);
