import { and, count, desc, eq, gte, lt, or, sql, type SQL } from 'drizzle-orm';
import { users } from '../accounts/schema.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { auditLog } from './schema.js';

export interface AuditEntry {
  userId: number | null;
  /** Stable action code: household.create, product.update, user.role_change … */
  action: string;
  entityType: string;
  entityId: string | number;
  before?: unknown;
  after?: unknown;
  address?: string | null;
}

/**
 * Which entries a reader may see: all, or per kind of entity (entity_type) an SQL condition on the
 * entry's entity id (a text column) that holds for the objects in the reader's scope. Entries of
 * any other kind of entity are not theirs.
 */
export type AuditVisibility = 'all' | Readonly<Record<string, (entityId: string) => string>>;

export interface AuditQuery {
  userId?: number;
  action?: string;
  from?: number;
  to?: number;
  limit: number;
  offset: number;
  /** Default: all. */
  visible?: AuditVisibility;
}

export type AuditRow = typeof auditLog.$inferSelect;

/** The entry's id column as the visibility conditions name it (they are SQL text of their domains). */
const ENTITY_ID_COLUMN = '"audit_log"."entity_id"';

/** The WHERE of a filtered list, or undefined for every entry. */
function listCondition(filter: AuditQuery): SQL | undefined {
  const conditions: (SQL | undefined)[] = [];
  if (filter.userId !== undefined) conditions.push(eq(auditLog.userId, filter.userId));
  if (filter.action) {
    // A prefix: the action's own %, _ and \ are matched literally.
    const prefix = `${filter.action.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(sql`${auditLog.action} LIKE ${prefix} ESCAPE '\\'`);
  }
  if (filter.from !== undefined) conditions.push(gte(auditLog.createdAt, filter.from));
  if (filter.to !== undefined) conditions.push(lt(auditLog.createdAt, filter.to));
  if (filter.visible !== undefined && filter.visible !== 'all') {
    // The conditions come from the domains that own the objects (projects, institutions), as SQL text on the id column.
    const kinds = Object.entries(filter.visible).map(([entityType, holds]) =>
      and(eq(auditLog.entityType, entityType), sql.raw(`(${holds(ENTITY_ID_COLUMN)})`)),
    );
    conditions.push(kinds.length ? or(...kinds) : sql`0`);
  }
  return conditions.length ? and(...conditions) : undefined;
}

/**
 * The audit log: who did what to money, stock, households and roles, when and from where.
 * An entry is written inside the same transaction as the change it describes: `yield* audit.add(tx,
 * entry)` in a unit of work (src/db/unit-of-work.ts).
 */
export function createAuditService(db: Database_, clock: Clock) {
  function* add(tx: Tx, entry: AuditEntry): Query<void> {
    yield* run(
      tx.insert(auditLog).values({
        userId: entry.userId,
        action: entry.action,
        entityType: entry.entityType,
        entityId: String(entry.entityId),
        summary: JSON.stringify({ before: entry.before ?? null, after: entry.after ?? null }),
        address: entry.address ?? null,
        createdAt: clock(),
      }),
    );
  }

  /**
   * A personal-data request: in the entries about one object, the values of these summary fields
   * become null (the entry, who made it and when stay). A step of the caller's unit of work.
   */
  function* redactIn(tx: Tx, entityType: string, entityId: string | number, fields: readonly string[]): Query<number> {
    const rows = yield* all(
      tx
        .select({ id: auditLog.id, summary: auditLog.summary })
        .from(auditLog)
        .where(and(eq(auditLog.entityType, entityType), eq(auditLog.entityId, String(entityId)))),
    );
    let changed = 0;
    for (const row of rows) {
      let summary: { before?: unknown; after?: unknown };
      try {
        summary = JSON.parse(row.summary) as { before?: unknown; after?: unknown };
      } catch {
        continue;
      }
      let touched = false;
      for (const side of [summary.before, summary.after]) {
        if (!side || typeof side !== 'object') continue;
        for (const field of fields) {
          const record = side as Record<string, unknown>;
          if (field in record && record[field] !== null) {
            record[field] = null;
            touched = true;
          }
        }
      }
      if (!touched) continue;
      yield* run(
        tx
          .update(auditLog)
          .set({ summary: JSON.stringify(summary) })
          .where(eq(auditLog.id, row.id)),
      );
      changed++;
    }
    return changed;
  }

  /** A personal-data request: the client addresses of the person's own entries are forgotten. A step of the caller's unit of work. */
  function* forgetAddressesOf(tx: Tx, userId: number): Query<void> {
    yield* run(tx.update(auditLog).set({ address: null }).where(eq(auditLog.userId, userId)));
  }

  return {
    /** Writes an entry as part of the caller's unit of work. */
    add,
    redactIn,
    forgetAddressesOf,

    /** One page of entries, newest first, with the reader's name (e-mail), and how many match. */
    list: (filter: AuditQuery) =>
      db.uow.read(function* (tx) {
        const where = listCondition(filter);
        const rows = yield* all(
          tx
            .select({
              id: auditLog.id,
              userId: auditLog.userId,
              userEmail: users.email,
              action: auditLog.action,
              entityType: auditLog.entityType,
              entityId: auditLog.entityId,
              summary: auditLog.summary,
              address: auditLog.address,
              createdAt: auditLog.createdAt,
            })
            .from(auditLog)
            .leftJoin(users, eq(users.id, auditLog.userId))
            .where(where)
            .orderBy(desc(auditLog.id))
            .limit(filter.limit)
            .offset(filter.offset),
        );
        const total = (yield* one(tx.select({ n: count() }).from(auditLog).where(where)))?.n ?? 0;
        return { rows, total };
      }),
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
