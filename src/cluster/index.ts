// The cluster's front door: what several app servers on one database share through it, and nothing else.
export { databaseRateLimitStore, pruneRateLimitCounters } from './rate-limit-store.js';
