// One load run, in its own process so the load generator never shares a core's event loop with
// the server: node --import tsx bench/load.ts '<json LoadSpec>'  → prints one JSON LoadResult line.
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  connections: number;
  /** Measured seconds. */
  duration: number;
  /** Seconds of unmeasured load first (JIT, caches). */
  warmup: number;
  headers?: Record<string, string>;
  /** Paths each connection asks for in turn (from a different starting point each), instead of the url's path alone. */
  paths?: string[];
  /** Replace `[<id>]` in the paths with a fresh id per request (a flood of unique URLs). */
  idReplacement?: boolean;
}

export interface LoadResult {
  url: string;
  rps: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  bytesPerRequest: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
function nextPath(paths: string[]) {
  return (request: { path?: string }, context: Record<string, unknown>) => {
    const at = typeof context.at === 'number' ? context.at : Math.floor(Math.random() * paths.length);
    context.at = at + 1;
    return { ...request, path: paths[at % paths.length]! };
  };
}
const base = {
  url: spec.url,
  connections: spec.connections,
  headers: spec.headers,
  timeout: 10,
  // Each connection goes through the paths from a starting point of its own, as different visitors
  // would: starting all fifty at the first path would ask for each new page fifty times at once.
  ...(spec.paths ? { requests: [{ method: 'GET', setupRequest: nextPath(spec.paths) }] } : {}),
  ...(spec.idReplacement ? { idReplacement: true } : {}),
};
if (spec.warmup > 0) await autocannon({ ...base, duration: spec.warmup });
const r = await autocannon({ ...base, duration: spec.duration });
const result: LoadResult = {
  url: spec.url,
  rps: Math.round(r.requests.average),
  p50_ms: r.latency.p50,
  p90_ms: r.latency.p90,
  p99_ms: r.latency.p99,
  max_ms: r.latency.max,
  requests: r.requests.total,
  non2xx: r.non2xx,
  errors: r.errors,
  timeouts: r.timeouts,
  statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count])),
  bytesPerRequest: r.requests.total > 0 ? Math.round(r.throughput.total / r.requests.total) : 0,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
