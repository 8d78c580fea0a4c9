// The cluster's front door: what several app servers on one database share through it, and nothing else.
export { createLeaderLease, type LeaderLease } from './leader-lease.js';
export { createPeriodicWork, LEASE_MS, RENEW_EVERY_MS, type PeriodicStatus, type PeriodicTimers, type PeriodicWork } from './periodic-work.js';
export { databaseRateLimitStore, pruneRateLimitCounters } from './rate-limit-store.js';
