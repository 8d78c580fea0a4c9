import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { users } from '../accounts/schema.js';
import { epochMs, flag, nowMs } from '../db/columns.js';
import { media } from '../media/schema.js';

/** Administrative region above a village: province → city → county → township. */
export const regions = sqliteTable(
  'regions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    province: text('province').notNull(),
    city: text('city').notNull(),
    county: text('county').notNull(),
    township: text('township').notNull(),
    /**
     * English (pinyin) names of the city, county and township for the English pages ("Hezhou",
     * "Zhongshan County"); null: the Chinese name is shown. Provinces' English names are a fixed
     * table (src/villages/region-names.ts).
     */
    cityEn: text('city_en'),
    countyEn: text('county_en'),
    townshipEn: text('township_en'),
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
 * displayName / publicStory only as far as the household's latest consent record allows.
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

/** How a household gave (or withdrew) consent; `carried_over` is the yes/no kept before consent records existed. */
export const CONSENT_METHODS = ['paper_form', 'verbal', 'carried_over'] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

/**
 * What a household agreed to show publicly, one record per agreement or withdrawal, never changed
 * or removed (append-only: triggers in the migrations). Public pages follow the latest record of
 * each household; a household without one shows nothing. A withdrawal takes back everything.
 */
export const householdConsents = sqliteTable(
  'household_consents',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    householdId: integer('household_id')
      .notNull()
      .references(() => households.id),
    /** The household takes back everything it agreed to (every item below is false). */
    withdrawn: flag('withdrawn').notNull().default(false),
    /** The display name may be shown publicly. */
    namePublic: flag('name_public').notNull(),
    /** The public story may be shown publicly (under the display name). */
    storyPublic: flag('story_public').notNull(),
    /** Photos of the household may be shown publicly. */
    photoPublic: flag('photo_public').notNull(),
    method: text('method', { enum: CONSENT_METHODS }).notNull(),
    /** The scan of the signed paper form (private media, never served by /media). */
    formMediaId: integer('form_media_id').references(() => media.id),
    /** Who witnessed a verbal consent or withdrawal. */
    witnessName: text('witness_name'),
    /** The day the household agreed or withdrew, YYYY-MM-DD (China time). */
    givenOn: text('given_on').notNull(),
    /** The staff member who recorded it; null for records carried over by the migration. */
    recordedByUserId: integer('recorded_by_user_id').references(() => users.id),
    recordedAt: epochMs('recorded_at').notNull().default(nowMs),
  },
  (t) => [
    index('household_consents_household_idx').on(t.householdId, t.id),
    check('household_consents_method_ck', sql`${t.method} IN ('paper_form','verbal','carried_over')`),
    check(
      'household_consents_withdrawn_ck',
      sql`${t.withdrawn} = false OR (${t.namePublic} = false AND ${t.storyPublic} = false AND ${t.photoPublic} = false)`,
    ),
    check('household_consents_form_ck', sql`${t.method} <> 'paper_form' OR ${t.formMediaId} IS NOT NULL`),
    check('household_consents_witness_ck', sql`${t.method} <> 'verbal' OR ${t.witnessName} IS NOT NULL`),
    check('household_consents_given_on_ck', sql`${t.givenOn} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'`),
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
