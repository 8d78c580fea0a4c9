import { max } from 'drizzle-orm';
import { payoutRequests } from '../../src/ledger/schema.js';
import { rowOf } from './db-query.js';
import { signIn, type TestBrowser } from './auth.js';
import { createCoordinatorOfAllProjects, STAFF_PASSWORD } from './staff.js';
import type { TestContext } from './test-app.js';

const SECOND = 'second.coordinator@xiangyi.test';
const signedIn = new WeakMap<TestContext, TestBrowser>();

/** A second coordinator of every project, signed in (made on first use per test app). */
export async function secondCoordinator(ctx: TestContext): Promise<TestBrowser> {
  let browser = signedIn.get(ctx);
  if (!browser) {
    await createCoordinatorOfAllProjects(ctx.db, SECOND);
    browser = await signIn(ctx.app, SECOND, STAFF_PASSWORD);
    signedIn.set(ctx, browser);
  }
  return browser;
}

/**
 * The second coordinator approves the newest payout request (a reversal, or a payout above the
 * threshold) through the console, as two-person payouts require; answers the response.
 */
export async function approveNewestPayoutRequest(ctx: TestContext) {
  const id = (await rowOf(ctx.db, (tx) => tx.select({ id: max(payoutRequests.id) }).from(payoutRequests)))?.id;
  const second = await secondCoordinator(ctx);
  return second.post(`/coordinator/payout-requests/${id}/approve`, {}, { csrfFrom: `/coordinator/payout-requests/${id}` });
}
