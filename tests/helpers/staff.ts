import { eq } from 'drizzle-orm';
import { users, userProjects } from '../../src/accounts/schema.js';
import { hashPassword } from '../../src/accounts/password.js';
import type { Database_ } from '../../src/db/client.js';
import { projects } from '../../src/projects/schema.js';
import { households } from '../../src/villages/schema.js';
import { rowOf, writeOf, writtenRowOf } from './db-query.js';

export const STAFF_PASSWORD = 'a-long-test-password';

/** The id of a seeded project by its slug. */
export async function projectIdOf(db: Database_, slug: string): Promise<number> {
  const row = await rowOf(db, (tx) => tx.select({ id: projects.id }).from(projects).where(eq(projects.slug, slug)));
  if (!row) throw new Error(`no project ${slug}`);
  return row.id;
}

/** The id of a seeded household by its real name. */
export async function householdIdOf(db: Database_, realName: string): Promise<number> {
  const row = await rowOf(db, (tx) => tx.select({ id: households.id }).from(households).where(eq(households.realName, realName)));
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
  const user = await writtenRowOf(db, (tx) =>
    tx
      .insert(users)
      .values({
        email,
        passwordHash: hash,
        displayName: '项目协调员',
        role: 'coordinator',
        allProjects: false,
        createdAt: now,
        updatedAt: now,
        passwordChangedAt: now,
      })
      .returning({ id: users.id }),
  );
  if (!user) throw new Error(`no user ${email}`);
  for (const slug of projectSlugs) {
    const projectId = await projectIdOf(db, slug);
    await writeOf(db, (tx) => tx.insert(userProjects).values({ userId: user.id, projectId }));
  }
  return user.id;
}

/** A second coordinator of every project (as the admin would create one), signing in with STAFF_PASSWORD. */
export async function createCoordinatorOfAllProjects(db: Database_, email: string): Promise<number> {
  const userId = await createScopedCoordinator(db, email, []);
  await writeOf(db, (tx) => tx.update(users).set({ allProjects: true, displayName: '第二协调员' }).where(eq(users.id, userId)));
  return userId;
}
