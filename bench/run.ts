// npm run bench [-- --quick] [--seconds=N] [--rounds=R] [--buyers=K] [--keep] [--profile] [--no-build]
//
// 1. builds the app (npm run build) and generates a scale database in a temp dir;
// 2. starts the real server (node dist/src/server.js) on a free port, timing start-up and
//    sampling its RSS; starts a bare Fastify baseline in another process;
// 3. drives each route with autocannon from a separate process (50 connections, a phone browser's
//    Accept-Encoding), in rounds each right after a baseline round, then K virtual buyers through the
//    full HTTP checkout;
// 4. times a household statement and a month's reconciliation (in-process, and over HTTP when the
//    coordinator routes exist);
// 5. prints one table with PASS/MISS against the targets and writes bench/results/*.json.
// One benchmark at a time: every load phase runs alone, each bounded by its duration.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import Database from 'better-sqlite3';
import { Browser, csrfTokenIn, signIn } from './browser.js';
import type { CheckoutResult, CheckoutSpec } from './checkout.js';
import { FULL_SCALE, generateScaleDatabase, QUICK_SCALE, type GeneratedData } from './generate.js';
import { runInProcess, type ReconciliationTiming, type StatementTiming } from './inprocess.js';
import type { CartsResult, CartsSpec } from './carts.js';
import type { LoadResult, LoadSpec } from './load.js';
import { summariseProfile } from './profile-summary.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = join(ROOT, 'bench', 'results');
const CONNECTIONS = 50;
/** The flood of unique query strings (issue 16): as long in the quick form. */
const FLOOD_SECONDS = 20;
/**
 * Node's flags for the server, as `npm start` and the Dockerfile run it: a heap limit of its own
 * (the default follows the machine's memory, gigabytes here) keeps V8 from growing the heap far
 * past what is live under load (about 245–285 MB peak RSS without it, about 200 MB with it).
 */
const SERVER_FLAGS = ['--max-old-space-size=512'];
/**
 * What a phone's browser sends with every page request that matters to the answer: which
 * compressions it takes and its language. Every run, the baseline's included, sends the same.
 */
const BROWSER_HEADERS = { 'accept-encoding': 'gzip, deflate, br, zstd', 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' };

// ---------- options ----------
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const quick = flag('quick');
const settings = {
  mode: quick ? 'quick' : 'full',
  scale: quick ? QUICK_SCALE : FULL_SCALE,
  routeSeconds: Number(option('seconds') ?? (quick ? 10 : 20)),
  /** Each route's seconds are split into this many runs, each right after a baseline run of the same length. */
  rounds: Number(option('rounds') ?? (quick ? 2 : 4)),
  warmupSeconds: quick ? 1 : 2,
  checkoutSeconds: quick ? 8 : 15,
  buyers: Number(option('buyers') ?? 20),
  startups: 3,
  keep: flag('keep'),
  profile: flag('profile'),
  build: !flag('no-build'),
};

const TARGETS = {
  pageRatio: 0.5,
  pageP99Ms: 20,
  searchRatio: 0.2,
  searchP99Ms: 50,
  floodRssMb: 300,
  floodSignInFactor: 2,
  ordersPerSecond: 300,
  statementMs: 50,
  reconciliationMs: 2000,
  startupMs: 1000,
  rssMb: 250,
};

// ---------- process helpers ----------
const children = new Set<ChildProcess>();
const began = performance.now();
const say = (msg: string) => console.log(`[${((performance.now() - began) / 1000).toFixed(1).padStart(6)} s] ${msg}`);
const load1 = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function stopAll(): void {
  for (const child of children) if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
}
process.on('exit', stopAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopAll();
    process.exit(130);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Started {
  child: ChildProcess;
  output: () => string;
}

/** Starts a process; its stdout goes to `logFile` when given (the server's request log), else is kept like stderr. */
function start(command: string, argv: string[], env: NodeJS.ProcessEnv, logFile?: string): Started {
  const stdout = logFile ? openSync(logFile, 'a') : 'pipe';
  const child = spawn(command, argv, { cwd: ROOT, env, stdio: ['ignore', stdout, 'pipe'] });
  if (typeof stdout === 'number') closeSync(stdout);
  children.add(child);
  child.on('exit', () => children.delete(child));
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => output };
}

async function stop(started: Started, timeoutMs = 15_000): Promise<void> {
  const { child } = started;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.pid && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/** Polls GET url until it answers 200; returns ms since `since`. */
async function waitFor200(url: string, since: number, started: Started, timeoutMs = 90_000): Promise<number> {
  const pool = new Pool(new URL(url).origin, { connections: 1 });
  try {
    while (performance.now() - since < timeoutMs) {
      if (started.child.exitCode !== null) throw new Error(`process exited (${started.child.exitCode}) before answering:\n${started.output()}`);
      try {
        const res = await pool.request({ method: 'GET', path: new URL(url).pathname, headersTimeout: 2000, bodyTimeout: 2000 });
        await res.body.dump();
        if (res.statusCode === 200) return performance.now() - since;
      } catch {
        // not listening yet
      }
      await sleep(5);
    }
  } finally {
    await pool.close();
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${started.output()}`);
}

/** Runs a bench worker in its own Node process and parses the JSON line it prints. */
function runWorker<T>(script: string, spec: unknown, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = start(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', script), JSON.stringify(spec)], process.env);
    const timer = setTimeout(() => {
      if (worker.child.pid) process.kill(worker.child.pid, 'SIGKILL');
      reject(new Error(`${script} ran over ${timeoutMs} ms`));
    }, timeoutMs);
    worker.child.once('exit', (code) => {
      clearTimeout(timer);
      const line = worker
        .output()
        .trim()
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'));
      if (code === 0 && line) resolve(JSON.parse(line) as T);
      else reject(new Error(`${script} exited ${code}:\n${worker.output()}`));
    });
  });
}

/** Samples a process's resident memory from /proc while it runs. */
class RssSampler {
  private timer: NodeJS.Timeout | null = null;
  peakKb = 0;
  readonly phases: Record<string, number> = {};
  private phase = 'start-up';

  constructor(private pid: number) {}

  /** Samples a replacement process from now on (after a restart), keeping the peak so far. */
  follow(pid: number): void {
    this.peakKb = Math.max(this.peakKb, this.read('VmHWM'));
    this.pid = pid;
  }

  private read(field: 'VmRSS' | 'VmHWM'): number {
    try {
      const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return match ? Number(match[1]) : 0;
    } catch {
      return 0;
    }
  }

  begin(): void {
    this.timer = setInterval(() => {
      const kb = this.read('VmRSS');
      this.peakKb = Math.max(this.peakKb, kb);
      this.phases[this.phase] = Math.max(this.phases[this.phase] ?? 0, kb);
    }, 100);
  }

  enter(phase: string): void {
    this.phase = phase;
  }

  rssKb(): number {
    return this.read('VmRSS');
  }

  /** The kernel's high-water mark, read before the process ends. */
  finish(): number {
    if (this.timer) clearInterval(this.timer);
    this.peakKb = Math.max(this.peakKb, this.read('VmHWM'));
    return this.peakKb;
  }
}

const mb = (kb: number) => Math.round(kb / 102.4) / 10;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

// ---------- the run ----------
interface RouteRow {
  route: string;
  url: string;
  rps: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  ratio: number;
  target: string;
  pass: boolean | null;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  bytesPerRequest: number;
  load1Before: number;
  /** One request at a time, before the load: median ms. */
  singleMs: number | null;
  /** How long the server took to answer /healthz promptly again after the run. */
  drainMs: number;
  restarted: boolean;
  /** The median req/s of the baseline runs this route was compared with (one before each of its rounds). */
  baselineRps: number;
  /** Each round: the route's req/s and p99, and the baseline's req/s just before it. */
  rounds: { rps: number; p99_ms: number; baselineRps: number }[];
}

interface Figure {
  name: string;
  value: string;
  target: string;
  pass: boolean | null;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const workDir = mkdtempSync(join(tmpdir(), 'xiangyi-bench-'));
  try {
    await measure(startedAt, workDir);
  } finally {
    stopAll();
    if (settings.keep) say(`kept ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
  say(`done in ${((performance.now() - began) / 1000).toFixed(1)} s`);
}

async function measure(startedAt: Date, workDir: string): Promise<void> {
  const dbPath = join(workDir, 'xiangyi.db');
  say(`mode ${settings.mode}; scale ${JSON.stringify(settings.scale)}; work dir ${workDir}; ${cpus().length} cores; load ${load1()}`);

  // 1. build
  let serverEntry: { argv: string[]; kind: string } = { argv: ['--import', 'tsx', 'src/server.ts'], kind: 'tsx src/server.ts' };
  let buildNote = 'skipped';
  if (settings.build) {
    const buildStarted = performance.now();
    const build = start('npm', ['run', 'build', '--silent'], process.env);
    const code = await new Promise<number | null>((resolve) => build.child.once('exit', resolve));
    buildNote = `${code === 0 ? 'ok' : `exit ${code} (type errors elsewhere in src/; JavaScript was still emitted)`} in ${Math.round(performance.now() - buildStarted)} ms`;
    say(`npm run build: ${buildNote}`);
  }
  // --no-build runs whatever dist/ holds; without dist/ the server runs from source through tsx.
  if (existsSync(join(ROOT, 'dist', 'src', 'server.js')))
    serverEntry = { argv: [...SERVER_FLAGS, 'dist/src/server.js'], kind: `node ${SERVER_FLAGS.join(' ')} dist/src/server.js` };

  // 2. data
  say('generating the scale database…');
  const data: GeneratedData = await generateScaleDatabase(dbPath, settings.scale, (m) => say(`  ${m}`));
  say(
    `generation: ${(data.timings.totalMs / 1000).toFixed(1)} s (demo seed ${(data.timings.demoSeedMs / 1000).toFixed(1)} s + bulk ${(data.timings.bulkMs / 1000).toFixed(1)} s); ` +
      `checkLedger ${data.ledgerCheck.problems === 0 ? 'passes' : 'FAILS'} over ${data.ledgerCheck.transactions} transactions in ${(data.timings.verifyMs / 1000).toFixed(1)} s`,
  );

  // 3. the real server: start-up (median of several cold starts), then leave the last one running
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const profileDir = join(workDir, 'profile');
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STRIPE_'))),
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: origin,
    DATABASE_PATH: dbPath,
    // As `npm start` runs it (info: one log line a request), into a file as a container's log would go.
    // At warn the server skipped that line and read 2–2.5× faster than an outside client measured.
    LOG_LEVEL: 'info',
    SEED_DEMO_DATA: 'never',
    SESSION_SECRET: randomBytes(32).toString('hex'),
  };
  const launch = async (profile: boolean): Promise<{ started: Started; ms: number }> => {
    const argv = profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...serverEntry.argv] : serverEntry.argv;
    const t0 = performance.now();
    const started = start(process.execPath, argv, env, join(workDir, 'server.log'));
    if (rss) rss.follow(started.child.pid!);
    return { started, ms: await waitFor200(`${origin}/healthz`, t0, started) };
  };
  const startups: number[] = [];
  let rss: RssSampler | null = null;
  for (let i = 0; i < settings.startups - 1; i++) {
    const cold = await launch(false);
    startups.push(cold.ms);
    await stop(cold.started);
  }
  rss = new RssSampler(0);
  const first = await launch(settings.profile);
  rss.begin();
  startups.push(first.ms);
  let server: Started = first.started;
  const startupMs = Math.round(median(startups));
  await sleep(300);
  const idleRssKb = rss.rssKb();
  say(`server (${serverEntry.kind}) start-up: ${startups.map((t) => Math.round(t)).join(' / ')} ms → median ${startupMs} ms; idle RSS ${mb(idleRssKb)} MB`);
  // `npm start` is the build check (scripts/ensure-build.mjs), then this server: after the build above
  // the check must find dist/ current and compile nothing, so a second start costs about the start-up alone.
  let buildCheck: { ms: number; compiled: boolean } | null = null;
  if (settings.build) {
    const checkStarted = performance.now();
    const check = spawnSync(process.execPath, ['scripts/ensure-build.mjs'], { cwd: ROOT, encoding: 'utf8' });
    buildCheck = { ms: Math.round(performance.now() - checkStarted), compiled: check.status !== 0 || /building/.test(check.stderr) };
    say(`npm start's build check after the build: ${buildCheck.ms} ms, ${buildCheck.compiled ? 'it COMPILED' : 'nothing compiled'}`);
  }

  /**
   * Node keeps working on requests whose clients gave up, so after an overloaded route the server
   * can stay busy for a long time. Before the next phase: wait until /healthz answers quickly
   * three times in a row; if it does not within 20 s, restart the server so one slow route does
   * not spoil the measurements after it. Returns the wait, and whether the server was restarted.
   */
  const restarts: string[] = [];
  const settle = async (after: string): Promise<{ drainMs: number; restarted: boolean }> => {
    const t0 = performance.now();
    const pool = new Pool(origin, { connections: 1 });
    let quick = 0;
    try {
      while (performance.now() - t0 < 20_000) {
        const sent = performance.now();
        try {
          const res = await pool.request({ method: 'GET', path: '/healthz', headersTimeout: Math.max(100, 20_000 - (sent - t0)) });
          await res.body.dump();
          quick = res.statusCode === 200 && performance.now() - sent < 100 ? quick + 1 : 0;
        } catch {
          quick = 0;
        }
        if (quick >= 3) return { drainMs: Math.round(performance.now() - t0), restarted: false };
        await sleep(50);
      }
    } finally {
      await pool.close();
    }
    say(`  the server is still busy 20 s after ${after}: restarting it`);
    restarts.push(after);
    await stop(server);
    server = (await launch(settings.profile)).started;
    return { drainMs: Math.round(performance.now() - t0), restarted: true };
  };

  // 4. the routes, one load run at a time
  const routes = [
    { route: '/', path: '/' },
    { route: '/products', path: '/products' },
    { route: '/products?q=蜂蜜', path: `/products?q=${encodeURIComponent('蜂蜜')}` },
    { route: '/products/:slug', path: `/products/${data.productSlug}` },
    { route: '/api/v1/products', path: '/api/v1/products' },
    // For comparison only (full runs): the product page for a client that takes no compression.
    ...(quick
      ? []
      : [
          {
            route: '/products/:slug, uncompressed',
            path: `/products/${data.productSlug}`,
            headers: { 'accept-language': BROWSER_HEADERS['accept-language'] },
            informational: true,
          },
        ]),
  ] as { route: string; path: string; headers?: Record<string, string>; informational?: boolean }[];
  // One request at a time first: the unloaded latency of each route (median of 3; once if slow).
  const probe = new Pool(origin, { connections: 1 });
  const singleMs = new Map<string, number>();
  for (const r of routes) {
    const times: number[] = [];
    for (let i = 0; i < 3 && (i === 0 || times[0]! < 2000); i++) {
      const sent = performance.now();
      const res = await probe.request({ method: 'GET', path: r.path, headers: r.headers ?? BROWSER_HEADERS });
      await res.body.dump();
      times.push(performance.now() - sent);
      if (res.statusCode !== 200) say(`WARNING: GET ${r.path} answers ${res.statusCode} before the load`);
    }
    singleMs.set(r.route, Math.round(median(times) * 10) / 10);
  }
  await probe.close();
  say(`unloaded latency: ${routes.map((r) => `${r.route} ${singleMs.get(r.route)} ms`).join(', ')}`);

  const loadSpec = (url: string, headers: Record<string, string>, duration: number, warmup: number): LoadSpec => ({
    url,
    connections: CONNECTIONS,
    duration,
    warmup,
    headers,
  });
  const loadTimeout = (settings.routeSeconds + settings.warmupSeconds) * 1000 + 30_000;

  // Baseline: bare Fastify in another process. Each route's time is split into rounds, each run
  // right after a baseline run of the same length (both alone on the machine); a route's ratio is
  // the median of its rounds' ratios, so a shared host that speeds up or slows down during the run
  // skews no route. Only a route's first round (and the baseline's) is preceded by a warm-up.
  const basePort = await freePort();
  const baseline = start(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'baseline.ts'), String(basePort)], process.env);
  await waitFor200(`http://127.0.0.1:${basePort}/healthz`, performance.now(), baseline);
  const roundSeconds = Math.max(3, Math.round(settings.routeSeconds / settings.rounds));
  const baseRuns: LoadResult[] = [];
  const firstLoad1 = load1();
  const rows: RouteRow[] = [];
  say(`load: each route ${settings.rounds} × ${roundSeconds} s, each round after ${roundSeconds} s of the baseline (bare Fastify)…`);
  for (const r of routes) {
    const before = load1();
    const runs: { route: LoadResult; base: LoadResult }[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      const warmup = round === 0 ? settings.warmupSeconds : 0;
      rss.enter('baseline (server idle)');
      const base = await runWorker<LoadResult>(
        'load.ts',
        loadSpec(`http://127.0.0.1:${basePort}/`, BROWSER_HEADERS, roundSeconds, baseRuns.length === 0 ? warmup : 0),
        loadTimeout,
      );
      baseRuns.push(base);
      rss.enter(r.route);
      const route = await runWorker<LoadResult>('load.ts', loadSpec(`${origin}${r.path}`, r.headers ?? BROWSER_HEADERS, roundSeconds, warmup), loadTimeout);
      runs.push({ route, base });
    }
    const after = await settle(r.route);
    const ratio = Math.round(median(runs.map((x) => x.route.rps / Math.max(1, x.base.rps))) * 1000) / 1000;
    const rps = Math.round(median(runs.map((x) => x.route.rps)));
    // Latency: the worst round's (a target on p99 must hold in every one).
    const worst = runs.reduce((w, x) => (x.route.p99_ms > w.p99_ms ? x.route : w), runs[0]!.route);
    const result: LoadResult = {
      ...worst,
      rps,
      requests: runs.reduce((n, x) => n + x.route.requests, 0),
      non2xx: runs.reduce((n, x) => n + x.route.non2xx, 0),
      errors: runs.reduce((n, x) => n + x.route.errors, 0),
      timeouts: runs.reduce((n, x) => n + x.route.timeouts, 0),
    };
    const search = r.route.includes('?q=');
    const ok = result.non2xx === 0 && result.errors === 0;
    const pass = r.informational ? null : ok && (search ? ratio >= TARGETS.searchRatio : ratio >= TARGETS.pageRatio && result.p99_ms <= TARGETS.pageP99Ms);
    const target = r.informational ? '— (for comparison)' : search ? `≥ ${TARGETS.searchRatio}×` : `≥ ${TARGETS.pageRatio}×, p99 ≤ ${TARGETS.pageP99Ms} ms`;
    const baselineRps = Math.round(median(runs.map((x) => x.base.rps)));
    rows.push({
      route: r.route,
      ...pickLoad(result),
      ratio,
      target,
      pass,
      load1Before: before,
      singleMs: singleMs.get(r.route) ?? null,
      ...after,
      baselineRps,
      rounds: runs.map((x) => ({ rps: x.route.rps, p99_ms: x.route.p99_ms, baselineRps: x.base.rps })),
    });
    say(
      `  ${r.route}: ${rps} req/s (rounds ${runs.map((x) => `${x.route.rps} vs ${x.base.rps}`).join(', ')}), ratio ${ratio}, p99 ${result.p99_ms} ms, ${result.bytesPerRequest} bytes/response` +
        (ok ? '' : ` (non-2xx ${result.non2xx}, errors ${result.errors}: ${JSON.stringify(result.statusCodes)})`) +
        (after.drainMs > 1000 ? `; the server needed ${(after.drainMs / 1000).toFixed(1)} s to catch up${after.restarted ? ' and was restarted' : ''}` : ''),
    );
  }

  // 4b. The catalogue while the shop is busy (issue 16): anonymous `/`, `/products` and 12 product
  // pages in turn, alone, then while new visitors add to carts; 400 different searches; a flood of
  // unique query strings. Each in rounds right after a baseline round, like the routes above.
  const catalogue = ['/', '/products', ...data.checkoutProducts.slice(0, 12).map((p) => `/products/${p.slug}`)];
  const searchTerms = searchTermsOf(dbPath, 400);
  const mixRounds = async (
    name: string,
    paths: string[],
    during?: (seconds: number) => Promise<unknown>,
  ): Promise<{ row: RouteRow; sideResults: unknown[] }> => {
    const before = load1();
    const runs: { route: LoadResult; base: LoadResult }[] = [];
    const sideResults: unknown[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      const warmup = round === 0 ? settings.warmupSeconds : 0;
      rss.enter('baseline (server idle)');
      const base = await runWorker<LoadResult>('load.ts', loadSpec(`http://127.0.0.1:${basePort}/`, BROWSER_HEADERS, roundSeconds, 0), loadTimeout);
      baseRuns.push(base);
      rss.enter(name);
      const spec: LoadSpec = { ...loadSpec(`${origin}/`, BROWSER_HEADERS, roundSeconds, warmup), paths };
      const [route, side] = await Promise.all([
        runWorker<LoadResult>('load.ts', spec, loadTimeout),
        during ? during(warmup + roundSeconds) : Promise.resolve(null),
      ]);
      runs.push({ route, base });
      if (side) sideResults.push(side);
    }
    const after = await settle(name);
    const ratio = Math.round(median(runs.map((x) => x.route.rps / Math.max(1, x.base.rps))) * 1000) / 1000;
    const worst = runs.reduce((w, x) => (x.route.p99_ms > w.p99_ms ? x.route : w), runs[0]!.route);
    const result: LoadResult = {
      ...worst,
      rps: Math.round(median(runs.map((x) => x.route.rps))),
      non2xx: runs.reduce((n, x) => n + x.route.non2xx, 0),
      errors: runs.reduce((n, x) => n + x.route.errors, 0),
    };
    const search = name.includes('search');
    const ok = result.non2xx === 0 && result.errors === 0;
    const pass =
      ok && (search ? ratio >= TARGETS.searchRatio && result.p99_ms <= TARGETS.searchP99Ms : ratio >= TARGETS.pageRatio && result.p99_ms <= TARGETS.pageP99Ms);
    const target = search ? `≥ ${TARGETS.searchRatio}×, p99 ≤ ${TARGETS.searchP99Ms} ms` : `≥ ${TARGETS.pageRatio}×, p99 ≤ ${TARGETS.pageP99Ms} ms`;
    const baselineRps = Math.round(median(runs.map((x) => x.base.rps)));
    const row: RouteRow = {
      route: name,
      ...pickLoad(result),
      ratio,
      target,
      pass,
      load1Before: before,
      singleMs: null,
      ...after,
      baselineRps,
      rounds: runs.map((x) => ({ rps: x.route.rps, p99_ms: x.route.p99_ms, baselineRps: x.base.rps })),
    };
    rows.push(row);
    say(
      `  ${name}: ${result.rps} req/s (rounds ${runs.map((x) => `${x.route.rps} vs ${x.base.rps}`).join(', ')}), ratio ${ratio}, p99 ${result.p99_ms} ms${ok ? '' : ` (non-2xx ${result.non2xx}, errors ${result.errors}: ${JSON.stringify(result.statusCodes)})`}`,
    );
    return { row, sideResults };
  };
  say(`catalogue mixes: ${catalogue.length} pages in turn; ${searchTerms.length} search terms…`);
  await mixRounds('catalogue mix, nothing else happening', catalogue);
  const cartMixes: { rate: number; carts: CartsResult[] }[] = [];
  for (const rate of [10, 50]) {
    const carts = (seconds: number) =>
      runWorker<CartsResult>(
        'carts.ts',
        { origin, rate, duration: seconds, slugs: data.checkoutProducts.slice(0, 12).map((p) => p.slug) } satisfies CartsSpec,
        seconds * 1000 + 30_000,
      );
    const { sideResults } = await mixRounds(`catalogue mix, new visitors adding to carts ${rate}/s`, catalogue, carts);
    const results = sideResults as CartsResult[];
    cartMixes.push({ rate, carts: results });
    say(`    adds: ${results.map((c) => `${c.ok}/${c.adds} at ${c.rate}/s, p99 ${c.p99_ms} ms ${JSON.stringify(c.statusCodes)}`).join('; ')}`);
  }
  await mixRounds(
    `${searchTerms.length} different searches (/products?q=…)`,
    searchTerms.map((t) => `/products?q=${encodeURIComponent(t)}`),
  );

  // The flood: unique query strings on the catalogue for 20 s, with sign-ins timed before and during it.
  const timeSignIns = async (count: number, gapMs: number): Promise<number[]> => {
    const pool = new Pool(origin, { connections: 1 });
    const times: number[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const b = new Browser(pool);
        const page = await b.get('/login');
        const token = csrfTokenIn(page.body);
        const res = await b.post('/login', { email: 'buyer@xiangyi.test', password: 'xiangyi-demo', _csrf: token ?? '' });
        if (res.status !== 303) say(`  WARNING: a timed sign-in answered ${res.status}`);
        times.push(Math.round(res.ms * 10) / 10);
        await sleep(gapMs);
      }
    } finally {
      await pool.close();
    }
    return times;
  };
  const quietSignIns = await timeSignIns(4, 200);
  rss.enter('flood of unique URLs');
  const floodPaths = [
    '/products?utm_source=[<id>]',
    '/?ref=[<id>]',
    ...data.checkoutProducts.slice(0, 4).map((p) => `/products/${p.slug}?fbclid=[<id>]`),
    '/products?category=tea&x=[<id>]',
  ];
  const floodSpec: LoadSpec = { ...loadSpec(`${origin}/`, BROWSER_HEADERS, FLOOD_SECONDS, 0), paths: floodPaths, idReplacement: true };
  const floodStarted = performance.now();
  const floodRun = runWorker<LoadResult>('load.ts', floodSpec, FLOOD_SECONDS * 1000 + 30_000);
  await sleep(3000); // the flood well under way
  const floodSignIns = await timeSignIns(6, 1500);
  const flood = await floodRun;
  const floodRssMb = mb(rss.phases['flood of unique URLs'] ?? 0);
  say(
    `  flood: ${flood.rps} req/s for ${Math.round((performance.now() - floodStarted) / 1000)} s, p99 ${flood.p99_ms} ms; peak RSS ${floodRssMb} MB; sign-ins quiet ${quietSignIns.join(' / ')} ms, during the flood ${floodSignIns.join(' / ')} ms`,
  );
  await settle('flood');
  const floodFigures = {
    seconds: FLOOD_SECONDS,
    load: pickLoad(flood),
    peakRssMb: floodRssMb,
    quietSignInMs: median(quietSignIns),
    floodSignInMs: median(floodSignIns),
    worstFloodSignInMs: Math.max(...floodSignIns),
    quietSignIns,
    floodSignIns,
  };
  await stop(baseline);
  const baseRps = baseRuns.map((b) => b.rps);
  const base = { ...baseRuns[0]!, rps: Math.round(median(baseRps)) };
  rows.unshift({
    route: `baseline (bare Fastify, median of ${baseRuns.length}: ${Math.min(...baseRps).toLocaleString('en-US')}–${Math.max(...baseRps).toLocaleString('en-US')})`,
    ...pickLoad(base),
    ratio: 1,
    target: '—',
    pass: null,
    load1Before: firstLoad1,
    singleMs: null,
    drainMs: 0,
    restarted: false,
    baselineRps: base.rps,
    rounds: baseRuns.map((b) => ({ rps: b.rps, p99_ms: b.p99_ms, baselineRps: b.rps })),
  });

  // 5. orders per second through the HTTP checkout
  rss.enter('checkout');
  say(`checkout: ${settings.buyers} buyers for ${settings.checkoutSeconds} s…`);
  const checkoutSpec: CheckoutSpec = {
    origin,
    buyers: settings.buyers,
    duration: settings.checkoutSeconds,
    warmup: settings.warmupSeconds,
    products: data.checkoutProducts,
  };
  const checkout = await runWorker<CheckoutResult>('checkout.ts', checkoutSpec, (settings.checkoutSeconds + settings.warmupSeconds) * 1000 + 60_000);
  say(
    `  ${checkout.orders} orders, ${checkout.ordersPerSecond}/s; POST /checkout p50 ${checkout.checkoutPost.p50_ms} ms, p99 ${checkout.checkoutPost.p99_ms} ms${Object.keys(checkout.failures).length ? `; failures ${JSON.stringify(checkout.failures)}` : ''}`,
  );
  if (checkout.sampleFailure) say(`  first failure: ${checkout.sampleFailure}`);
  await settle('checkout');

  // 6. coordinator pages over HTTP, when they exist
  rss.enter('coordinator pages');
  const coordinator = new Pool(origin, { connections: 1 });
  const browser = new Browser(coordinator);
  let httpStatement: { status: string; median_ms?: number; runs_ms?: number[]; bytes?: number; lastPageMs?: number; note?: string } = { status: 'n/a' };
  let httpReconciliation: { status: string; median_ms?: number; runs_ms?: number[]; note?: string } = { status: 'n/a' };
  try {
    await signIn(browser, 'coordinator@xiangyi.test', 'xiangyi-demo');
    const statementPath = `/coordinator/households/${data.busiestHousehold.id}/statement`;
    const first = await browser.get(statementPath);
    if (first.status === 200) {
      const timed = async (path: string) => {
        const runs: number[] = [];
        for (let i = 0; i < 5; i++) runs.push((await browser.get(path)).ms);
        return runs;
      };
      const runs = await timed(statementPath);
      const wholeHistory = `${statementPath}?from=2000-01-01&to=${new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)}&page=999999`;
      const lastPage = await timed(wholeHistory);
      httpStatement = {
        status: 'ok',
        median_ms: Math.round(median(runs) * 10) / 10,
        runs_ms: runs.map((t) => Math.round(t * 10) / 10),
        bytes: Buffer.byteLength(first.body),
        lastPageMs: Math.round(median(lastPage) * 10) / 10,
      };
    } else httpStatement = { status: 'n/a', note: `GET ${statementPath} answered ${first.status} (route not there yet?)` };
    const reconciliationPath = `/coordinator/reconciliation?period=${data.period}`;
    const rec = await browser.get(reconciliationPath);
    if (rec.status === 200) {
      const runs = [rec.ms];
      // A slow page is timed once (its first, cold run) rather than three more times.
      if (rec.ms < 3000) for (let i = 0; i < 3; i++) runs.push((await browser.get(reconciliationPath)).ms);
      httpReconciliation = {
        status: 'ok',
        median_ms: Math.round(median(runs.slice(runs.length > 1 ? 1 : 0)) * 10) / 10,
        runs_ms: runs.map((t) => Math.round(t * 10) / 10),
      };
    } else httpReconciliation = { status: 'n/a', note: `GET ${reconciliationPath} answered ${rec.status}` };
  } catch (error) {
    httpStatement = { status: 'error', note: (error as Error).message };
  } finally {
    await coordinator.close();
  }
  say(
    `HTTP statement: ${httpStatement.status === 'ok' ? `${httpStatement.median_ms} ms` : `${httpStatement.status} ${httpStatement.note ?? ''}`}; HTTP reconciliation: ${httpReconciliation.status === 'ok' ? `${httpReconciliation.median_ms} ms` : `${httpReconciliation.status} ${httpReconciliation.note ?? ''}`}`,
  );

  // 7. the server's peak memory, then stop it
  const peakRssKb = rss.finish();
  const rssByPhase = Object.fromEntries(Object.entries(rss.phases).map(([k, v]) => [k, mb(v)]));
  await stop(server);
  say(`server peak RSS ${mb(peakRssKb)} MB`);

  let profile: ReturnType<typeof summariseProfile> | null = null;
  if (settings.profile && existsSync(profileDir)) {
    // After a restart there is one profile per server process: summarise the biggest.
    const file = readdirSync(profileDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort((a, b) => statSync(join(profileDir, b)).size - statSync(join(profileDir, a)).size)[0];
    if (file) {
      profile = summariseProfile(join(profileDir, file), 30);
      say(`CPU profile of the server: ${join(profileDir, file)}`);
    }
  }

  // 8. in-process timings
  say('in-process: household statement and reconciliation…');
  const inProcess: { statement: StatementTiming; reconciliation: ReconciliationTiming } = await runInProcess(
    dbPath,
    data.busiestHousehold.id,
    data.period,
    Date.now(),
  );

  // ---------- report ----------
  const rec = inProcess.reconciliation;
  const figures: Figure[] = [
    {
      name: `orders/s through HTTP checkout (${settings.buyers} buyers, ${settings.checkoutSeconds} s)`,
      value: `${checkout.ordersPerSecond}/s (POST /checkout p50 ${checkout.checkoutPost.p50_ms} ms, p99 ${checkout.checkoutPost.p99_ms} ms)`,
      target: `≥ ${TARGETS.ordersPerSecond}/s`,
      pass: checkout.ordersPerSecond >= TARGETS.ordersPerSecond,
    },
    {
      name: `household statement page, in-process (household ${inProcess.statement.householdId}, ${inProcess.statement.lines} lines in all)`,
      value:
        `first page ${inProcess.statement.firstPage.median_ms} ms, last page ${inProcess.statement.lastPage.median_ms} ms of the whole history; ` +
        `current month (${inProcess.statement.month.lines} lines) ${inProcess.statement.month.median_ms} ms; every line at once (CSV/PDF export) ${inProcess.statement.allLines.median_ms} ms`,
      target: `≤ ${TARGETS.statementMs} ms`,
      pass:
        Math.max(inProcess.statement.firstPage.median_ms, inProcess.statement.lastPage.median_ms, inProcess.statement.month.median_ms) <= TARGETS.statementMs,
    },
    {
      name: 'household statement over HTTP',
      value:
        httpStatement.status === 'ok'
          ? `current month ${httpStatement.median_ms} ms (${httpStatement.bytes} bytes); last page of the whole history ${httpStatement.lastPageMs} ms`
          : `n/a — ${httpStatement.note ?? httpStatement.status}`,
      target: `≤ ${TARGETS.statementMs} ms`,
      pass: httpStatement.status === 'ok' ? Math.max(httpStatement.median_ms!, httpStatement.lastPageMs!) <= TARGETS.statementMs : null,
    },
    {
      name: `reconciliation of ${data.period}, in-process`,
      value: rec.status === 'ok' ? `${rec.median_ms} ms (${rec.payments} payments, ${rec.mismatches} mismatches)` : `${rec.status} — ${rec.note}`,
      target: `≤ ${TARGETS.reconciliationMs / 1000} s`,
      pass: rec.status === 'ok' ? rec.median_ms <= TARGETS.reconciliationMs : null,
    },
    {
      name: 'reconciliation over HTTP',
      value: httpReconciliation.status === 'ok' ? `${httpReconciliation.median_ms} ms` : `n/a — ${httpReconciliation.note ?? httpReconciliation.status}`,
      target: `≤ ${TARGETS.reconciliationMs / 1000} s`,
      pass: httpReconciliation.status === 'ok' ? httpReconciliation.median_ms! <= TARGETS.reconciliationMs : null,
    },
    {
      name: `start-up, spawn → first 200 from /healthz (${serverEntry.kind}, median of ${settings.startups})`,
      value: `${startupMs} ms`,
      target: `≤ ${TARGETS.startupMs / 1000} s`,
      pass: startupMs <= TARGETS.startupMs,
    },
    ...(buildCheck
      ? [
          {
            name: 'second `npm start` after a build: the build check (scripts/ensure-build.mjs) before the start-up above',
            value: `${buildCheck.ms} ms, ${buildCheck.compiled ? 'compiled again' : 'no compile'}`,
            target: 'no compile',
            pass: !buildCheck.compiled,
          },
        ]
      : []),
    {
      name: `flood of unique query strings (${floodFigures.seconds} s, ${floodFigures.load.rps} req/s): server peak RSS`,
      value: `${floodFigures.peakRssMb} MB`,
      target: `≤ ${TARGETS.floodRssMb} MB`,
      pass: floodFigures.peakRssMb <= TARGETS.floodRssMb,
    },
    {
      name: 'a sign-in (POST /login) during the flood, against a quiet one',
      value: `median ${floodFigures.floodSignInMs} ms (worst ${floodFigures.worstFloodSignInMs} ms) vs ${floodFigures.quietSignInMs} ms quiet`,
      target: `≤ ${TARGETS.floodSignInFactor}× quiet`,
      pass: floodFigures.floodSignInMs <= TARGETS.floodSignInFactor * floodFigures.quietSignInMs,
    },
    {
      name: 'server peak RSS under load (VmHWM)',
      value: `${mb(peakRssKb)} MB (idle after start ${mb(idleRssKb)} MB)`,
      target: `≤ ${TARGETS.rssMb} MB`,
      pass: mb(peakRssKb) <= TARGETS.rssMb,
    },
    {
      name: `scale data generation (${data.counts.products} products, ${data.counts.orders} orders, ${data.counts.ledgerEntries} ledger entries)`,
      value: `${(data.timings.totalMs / 1000).toFixed(1)} s`,
      target: '< 120 s',
      pass: data.timings.totalMs < 120_000,
    },
  ];

  const table = renderTable(rows, figures);
  console.log(`\n${table}\n`);

  const results = {
    mode: settings.mode,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    totalSeconds: Math.round((performance.now() - began) / 100) / 10,
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? '', node: process.version, load1AtEnd: load1() },
    settings: { ...settings, connections: CONNECTIONS },
    targets: TARGETS,
    build: buildNote,
    data: {
      counts: data.counts,
      timings: data.timings,
      ledgerCheck: data.ledgerCheck,
      busiestHousehold: data.busiestHousehold,
      period: data.period,
      productSlug: data.productSlug,
    },
    server: {
      entry: serverEntry.kind,
      restartedAfter: restarts,
      startupMs,
      startupRunsMs: startups.map(Math.round),
      buildCheck,
      idleRssMb: mb(idleRssKb),
      peakRssMb: mb(peakRssKb),
      rssByPhaseMb: rssByPhase,
    },
    routes: rows,
    cartMixes,
    flood: floodFigures,
    checkout,
    statement: { inProcess: inProcess.statement, http: httpStatement },
    reconciliation: { inProcess: rec, http: httpReconciliation },
    figures,
    profile,
    table,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const files = [`${stamp}${quick ? '-quick' : ''}.json`, quick ? 'quick.json' : 'latest.json'];
  for (const f of files) writeFileSync(join(RESULTS_DIR, f), `${JSON.stringify(results, null, 2)}\n`);
  say(`wrote ${files.map((f) => `bench/results/${f}`).join(' and ')}`);

  if (profile) {
    console.log('\nServer CPU profile, self time by file/package:');
    for (const l of profile.files.slice(0, 15)) console.log(`${String(l.ms).padStart(7)} ms ${l.percent.toFixed(1).padStart(5)}%  ${l.what}`);
    console.log('by function:');
    for (const l of profile.functions.slice(0, 25)) console.log(`${String(l.ms).padStart(7)} ms ${l.percent.toFixed(1).padStart(5)}%  ${l.what}`);
  }
}

function pickLoad(r: LoadResult) {
  return {
    url: r.url,
    rps: r.rps,
    p50_ms: r.p50_ms,
    p90_ms: r.p90_ms,
    p99_ms: r.p99_ms,
    max_ms: r.max_ms,
    non2xx: r.non2xx,
    errors: r.errors,
    statusCodes: r.statusCodes,
    bytesPerRequest: r.bytesPerRequest,
  };
}

const verdict = (pass: boolean | null) => (pass === null ? '' : pass ? 'PASS' : 'MISS');

/** Column widths by display width: CJK characters take two cells. */
function cells(text: string): number {
  let n = 0;
  for (const ch of text) n += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return n;
}
const padEnd = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - cells(text)));
const padStart = (text: string, width: number) => ' '.repeat(Math.max(0, width - cells(text))) + text;

function renderTable(rows: RouteRow[], figures: Figure[]): string {
  const header = ['route', 'req/s', 'p50 ms', 'p99 ms', 'bytes', 'ratio', 'target', ''];
  const body = rows.map((r) => [
    r.route,
    r.rps.toLocaleString('en-US'),
    r.p50_ms.toFixed(r.p50_ms < 10 ? 1 : 0),
    r.p99_ms.toFixed(r.p99_ms < 10 ? 1 : 0),
    r.bytesPerRequest.toLocaleString('en-US'),
    r.ratio.toFixed(2),
    r.target,
    `${verdict(r.pass)}${r.non2xx || r.errors ? ` (non-2xx ${r.non2xx}, errors ${r.errors})` : ''}`,
  ]);
  const widths = header.map((h, i) => Math.max(cells(h), ...body.map((row) => cells(row[i]!))));
  const right = new Set([1, 2, 3, 4, 5]);
  const line = (row: string[]) =>
    row
      .map((c, i) => (right.has(i) ? padStart(c, widths[i]!) : padEnd(c, widths[i]!)))
      .join(' | ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line), ''];
  const nameWidth = Math.max(...figures.map((f) => cells(f.name)));
  for (const f of figures) out.push(`${padEnd(f.name, nameWidth)}  ${f.value}   [target ${f.target}]${f.pass === null ? '' : ` ${verdict(f.pass)}`}`);
  return out.join('\n');
}

/**
 * `count` different search terms from the generated products' titles, as people type them: one and
 * two characters (茶, 蜂蜜) and longer pieces; deterministic, so runs compare.
 */
function searchTermsOf(dbPath: string, count: number): string[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    const titles = db.prepare(`SELECT title_zh FROM products WHERE published = 1 ORDER BY id`).pluck().all() as string[];
    const byLength = new Map<number, string[]>([
      [1, []],
      [2, []],
      [3, []],
      [4, []],
    ]);
    const seen = new Set<string>();
    for (const title of titles) {
      const chars = [...title.replace(/[\s·()（）]/g, '')];
      for (const [length, list] of byLength) {
        for (let i = 0; i + length <= chars.length; i += length) {
          const term = chars.slice(i, i + length).join('');
          if (!seen.has(term)) {
            seen.add(term);
            list.push(term);
          }
        }
      }
    }
    // A tenth of one character, three tenths of two, the rest of three and four.
    const want = [Math.round(count * 0.1), Math.round(count * 0.3), Math.round(count * 0.3)];
    const terms = [...byLength.get(1)!.slice(0, want[0]), ...byLength.get(2)!.slice(0, want[1]), ...byLength.get(3)!.slice(0, want[2])];
    for (const term of byLength.get(4)!) {
      if (terms.length >= count) break;
      terms.push(term);
    }
    return terms.slice(0, count);
  } finally {
    db.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  stopAll();
  process.exit(1);
});
