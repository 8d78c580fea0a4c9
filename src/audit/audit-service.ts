import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';
import { run, type Query, type Tx } from '../db/unit-of-work.js';
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

/**
 * The audit log: who did what to money, stock, households and roles, when and from where.
 * An entry is written inside the same transaction as the change it describes: `yield* audit.add(tx,
 * entry)` in a unit of work (src/db/unit-of-work.ts); record() is the same for code not yet
 * converted to units of work.
 */
export function createAuditService(db: Database_, clock: Clock) {
  const q = statementCache(db.sqlite);
  return {
    /** Writes an entry as part of the caller's unit of work. */
    *add(tx: Tx, entry: AuditEntry): Query<void> {
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
    },

    record(entry: AuditEntry): void {
      q(`INSERT INTO audit_log (user_id, action, entity_type, entity_id, summary, address, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
        entry.userId,
        entry.action,
        entry.entityType,
        String(entry.entityId),
        JSON.stringify({ before: entry.before ?? null, after: entry.after ?? null }),
        entry.address ?? null,
        clock(),
      );
    },

    list(filter: AuditQuery) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.userId !== undefined) {
        where.push('a.user_id = ?');
        params.push(filter.userId);
      }
      if (filter.action) {
        where.push('a.action LIKE ?');
        params.push(`${filter.action.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      }
      if (filter.from !== undefined) {
        where.push('a.created_at >= ?');
        params.push(filter.from);
      }
      if (filter.to !== undefined) {
        where.push('a.created_at < ?');
        params.push(filter.to);
      }
      if (filter.visible !== undefined && filter.visible !== 'all') {
        const kinds = Object.entries(filter.visible).map(([entityType, holds]) => {
          params.push(entityType);
          return `(a.entity_type = ? AND ${holds('a.entity_id')})`;
        });
        where.push(kinds.length ? `(${kinds.join(' OR ')})` : '0');
      }
      const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const rows = q(
        `SELECT a.id, a.user_id AS userId, u.email AS userEmail, a.action, a.entity_type AS entityType, a.entity_id AS entityId,
                a.summary, a.address, a.created_at AS createdAt
         FROM audit_log a LEFT JOIN users u ON u.id = a.user_id ${whereSql.replace(/LIKE \?/g, "LIKE ? ESCAPE '\\'")}
         ORDER BY a.id DESC LIMIT ? OFFSET ?`,
      ).all(...params, filter.limit, filter.offset) as {
        id: number;
        userId: number | null;
        userEmail: string | null;
        action: string;
        entityType: string;
        entityId: string;
        summary: string;
        address: string | null;
        createdAt: number;
      }[];
      const total = (q(`SELECT count(*) AS n FROM audit_log a ${whereSql.replace(/LIKE \?/g, "LIKE ? ESCAPE '\\'")}`).get(...params) as { n: number }).n;
      return { rows, total };
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
