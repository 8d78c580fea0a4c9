import { hashPassword } from '../../src/accounts/password.js';
import type { Database_ } from '../../src/db/client.js';

export const STAFF_PASSWORD = 'a-long-test-password';

/** The id of a seeded project by its slug. */
export function projectIdOf(db: Database_, slug: string): number {
  const row = db.sqlite.prepare(`SELECT id FROM projects WHERE slug = ?`).get(slug) as { id: number } | undefined;
  if (!row) throw new Error(`no project ${slug}`);
  return row.id;
}

/** The id of a seeded household by its real name. */
export function householdIdOf(db: Database_, realName: string): number {
  const row = db.sqlite.prepare(`SELECT id FROM households WHERE real_name = ?`).get(realName) as { id: number } | undefined;
  if (!row) throw new Error(`no household ${realName}`);
  return row.id;
}

/**
 * A coordinator scoped to some projects only (as the admin would create one), signing in with
 * STAFF_PASSWORD. Written straight to the database: the admin console has its own tests.
 */
export async function createScopedCoordinator(db: Database_, email: string, projectSlugs: readonly string[]): Promise<number> {
  const hash = await hashPassword(STAFF_PASSWORD);
  const now = Date.now();
  const userId = Number(
    db.sqlite
      .prepare(
        `INSERT INTO users (email, password_hash, display_name, role, all_projects, created_at, updated_at, password_changed_at)
         VALUES (?, ?, ?, 'coordinator', 0, ?, ?, ?)`,
      )
      .run(email, hash, '项目协调员', now, now, now).lastInsertRowid,
  );
  for (const slug of projectSlugs) db.sqlite.prepare(`INSERT INTO user_projects (user_id, project_id) VALUES (?, ?)`).run(userId, projectIdOf(db, slug));
  return userId;
}

/** A second coordinator of every project (as the admin would create one), signing in with STAFF_PASSWORD. */
export async function createCoordinatorOfAllProjects(db: Database_, email: string): Promise<number> {
  const userId = await createScopedCoordinator(db, email, []);
  db.sqlite.prepare(`UPDATE users SET all_projects = 1, display_name = '第二协调员' WHERE id = ?`).run(userId);
  return userId;
}
