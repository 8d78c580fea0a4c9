/**
 * How hard the reliability suite pushes. `npm run test:reliability` sets RELIABILITY_SCALE=full;
 * inside `npm test` (RELIABILITY_SCALE unset) the same files run at a CI size that keeps the whole
 * folder to about a minute on two cores. Every reliability test reads its numbers from here.
 */
export const FULL = process.env.RELIABILITY_SCALE === 'full';

export const scale = FULL
  ? {
      name: 'full',
      /** oversell.test.ts: buyers racing for one unit, and how many times the race is run. */
      oversell: { buyers: 50, rounds: 100 },
      /** webhook-storm.test.ts: Stripe orders, deliveries of each event, requests in flight at once. */
      webhookStorm: { orders: 1_000, deliveries: 3, concurrency: 50 },
      /** crash.test.ts: kill rounds per kind of operation, and requests fired per round. */
      crash: { roundsPerKind: 3, requestsPerRound: 60 },
      /** fuzz.test.ts: generated bad inputs per endpoint. */
      fuzz: { runsPerEndpoint: 1_000 },
      /** backup.test.ts: orders placed while backups run, and backups taken. */
      backup: { orders: 240, backups: 3 },
      /** Per-test time limit, ms. */
      timeoutMs: 30 * 60_000,
    }
  : {
      name: 'ci',
      oversell: { buyers: 50, rounds: 5 },
      webhookStorm: { orders: 60, deliveries: 3, concurrency: 50 },
      crash: { roundsPerKind: 1, requestsPerRound: 24 },
      fuzz: { runsPerEndpoint: 100 },
      backup: { orders: 40, backups: 1 },
      timeoutMs: 120_000,
    };

/** A seeded pseudo-random generator (mulberry32), so a failing run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seed of this run: RELIABILITY_SEED when given (to replay a failure); otherwise a fixed seed
 * at CI size, so `npm test` is repeatable, and a random one at full size, so every
 * `npm run test:reliability` explores new inputs (the tests print it).
 */
export const SEED = process.env.RELIABILITY_SEED ? Number(process.env.RELIABILITY_SEED) : FULL ? Math.floor(Math.random() * 2 ** 31) : 20_261_125;
