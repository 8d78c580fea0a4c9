import { one, type Query, run, type Tx } from '../db/unit-of-work.js';
import { hashPassword } from '../accounts/password.js';
import { type Role, userProjects, users, userVillages } from '../accounts/schema.js';

/** Demo data only; never created when NODE_ENV=production (config.seedDemoData is false there). */
export const DEMO_PASSWORD = 'xiangyi-demo';

export interface DemoAccount {
  email: string;
  displayName: string;
  role: Role;
  allProjects?: boolean;
  /** Village slugs a first secretary runs. */
  villages?: string[];
  /** Project slugs a coordinator is scoped to (when not all). */
  projects?: string[];
  /** What the account is for, printed at start-up. */
  purpose: string;
}

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { email: 'admin@xiangyi.test', displayName: '平台管理员', role: 'admin', purpose: 'admin: staff accounts and scopes' },
  { email: 'coordinator@xiangyi.test', displayName: '陈协调', role: 'coordinator', allProjects: true, purpose: 'coordinator of all projects' },
  {
    email: 'secretary.gulou@xiangyi.test',
    displayName: '覃书记',
    role: 'first_secretary',
    villages: ['gulou', 'mingmei'],
    purpose: 'first secretary of 古楼村 and 明梅村',
  },
  {
    email: 'secretary.meiyaogou@xiangyi.test',
    displayName: '李书记',
    role: 'first_secretary',
    villages: ['meiyaogou'],
    purpose: 'first secretary of 煤窑沟村',
  },
  // Every demo village with products has a secretary who ships its parcels (and reads the buyer's note about them).
  {
    email: 'secretary.mengzhuang@xiangyi.test',
    displayName: '王书记',
    role: 'first_secretary',
    villages: ['mengzhuang'],
    purpose: 'first secretary of 孟庄村',
  },
  {
    email: 'secretary.shibantan@xiangyi.test',
    displayName: '刘书记',
    role: 'first_secretary',
    villages: ['shibantan'],
    purpose: 'first secretary of 石板滩村',
  },
  { email: 'secretary.chashan@xiangyi.test', displayName: '何书记', role: 'first_secretary', villages: ['chashan'], purpose: 'first secretary of 岔山村' },
  { email: 'buyer@xiangyi.test', displayName: '深圳买家', role: 'buyer', purpose: 'buyer' },
  // Outlet scope and organisation membership are seeded by src/demo/outlets-orgs-seed.ts.
  { email: 'outlet@xiangyi.test', displayName: '福田门店店员', role: 'outlet_staff', purpose: 'outlet staff of 深圳福田慈善超市 (/outlet)' },
  {
    email: 'org@xiangyi.test',
    displayName: '福田区总工会采购员',
    role: 'buyer',
    purpose: 'buyer for 深圳市福田区总工会, a trade union with a yearly quota (/account/organization)',
  },
];

/** Hashes are computed before the seed transaction (scrypt is asynchronous). */
export async function hashDemoPasswords(): Promise<string[]> {
  return Promise.all(DEMO_ACCOUNTS.map(() => hashPassword(DEMO_PASSWORD)));
}

/** Inserts the demo accounts and their scopes (a step of the seed's unit of work). */
export function* seedDemoAccounts(tx: Tx, villageIds: Map<string, number>, projectIds: Map<string, number>, hashes: string[], now: number): Query<void> {
  for (const [i, account] of DEMO_ACCOUNTS.entries()) {
    const user = yield* one(
      tx
        .insert(users)
        .values({
          email: account.email,
          passwordHash: hashes[i]!,
          displayName: account.displayName,
          role: account.role,
          allProjects: account.allProjects === true,
          createdAt: now,
          updatedAt: now,
          passwordChangedAt: now,
        })
        .onConflictDoNothing({ target: users.email })
        .returning({ id: users.id }),
    );
    if (!user) continue;
    for (const slug of account.villages ?? []) {
      const villageId = villageIds.get(slug);
      if (villageId === undefined) throw new Error(`demo account ${account.email}: unknown village ${slug}`);
      yield* run(tx.insert(userVillages).values({ userId: user.id, villageId }).onConflictDoNothing());
    }
    for (const slug of account.projects ?? []) {
      const projectId = projectIds.get(slug);
      if (projectId === undefined) throw new Error(`demo account ${account.email}: unknown project ${slug}`);
      yield* run(tx.insert(userProjects).values({ userId: user.id, projectId }).onConflictDoNothing());
    }
  }
}

/** The lines printed at start-up and in the README. */
export function demoLoginLines(): string[] {
  return DEMO_ACCOUNTS.map((a) => `  ${a.email.padEnd(36)} ${DEMO_PASSWORD}   (${a.purpose})`);
}
