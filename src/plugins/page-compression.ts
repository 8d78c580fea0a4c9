import { promisify } from 'node:util';
import { brotliCompress, constants, gzip as gzipCompress } from 'node:zlib';
import negotiate from '@fastify/accept-negotiator';

/*
 * How the page cache compresses its pages (src/plugins/page-cache.ts): quickly once on a miss,
 * again at best quality when a page stays hot, one at a time off the event loop with a bounded
 * queue and a CPU budget; and which encoding a visitor gets.
 */

export const brotliAsync = promisify(brotliCompress);
export const gzipAsync = promisify(gzipCompress);
const brotliAt = (quality: number) => ({ params: { [constants.BROTLI_PARAM_QUALITY]: quality, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } });
/** A rendering's first compression, on a miss: cheap (brotli 4, gzip 6). */
export const QUICK = { br: brotliAt(4), gzip: { level: 6 } };
/** Again for a page served often, within the CPU budget: the smallest bytes. */
export const BEST = { br: brotliAt(constants.BROTLI_MAX_QUALITY), gzip: { level: 9 } };

/** The best of `supported` that an Accept-Encoding value allows; remembered for a few values (the header is the client's to choose). */
export function encodingChooser<K extends string>(supported: K[]): (header: string) => K | null {
  const memo = new Map<string, K | null>();
  return (header) => {
    let chosen = memo.get(header);
    if (chosen === undefined) {
      chosen = negotiate(header, supported);
      if (memo.size >= 64) memo.clear();
      memo.set(header, chosen);
    }
    return chosen;
  };
}

/** Runs compressions one at a time, off the event loop; refuses work beyond `maxQueued` waiting. */
export function compressionQueue(maxQueued: number) {
  const waiting: (() => Promise<void>)[] = [];
  let running = 0;
  const run = (task: () => Promise<void>): void => {
    running++;
    void task().finally(() => {
      running--;
      const next = waiting.shift();
      if (next) run(next);
    });
  };
  return {
    offer(task: () => Promise<void>): boolean {
      if (running === 0) run(task);
      else if (waiting.length < maxQueued) waiting.push(task);
      else return false;
      return true;
    },
    get queued() {
      return waiting.length;
    },
    get running() {
      return running;
    },
  };
}

/** At most `msPerSecond` of work per second of real time (a CPU budget, not the shop's clock). */
export function timeBudget(msPerSecond: number) {
  let windowStart = 0;
  let spent = 0;
  return {
    allows(): boolean {
      const now = performance.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        spent = 0;
      }
      return spent < msPerSecond;
    },
    spend(ms: number): void {
      spent += ms;
    },
  };
}
