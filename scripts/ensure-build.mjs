// Compiles the TypeScript into dist/ only when dist/ is missing or older than what it is compiled
// from, so `npm start` after a build starts at once (`node scripts/ensure-build.mjs [--force]`).
// Plain JavaScript on purpose: it must run before anything is compiled.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What the build reads. views/, static/ and drizzle/ are not here: the server reads them at run
 * time, so a change there needs a restart, not a build. Directories count with their own mtime
 * too, so a deleted or renamed source file makes the build stale.
 */
export const BUILD_INPUTS = ['src', 'scripts', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

/** Written after a successful build, with the mtime of the moment that build started. */
export const BUILD_STAMP = join('dist', '.build-stamp');

/** The newest mtime (ms) under the given paths of `root`; missing paths are skipped. */
export function newestInputMtime(root, inputs = BUILD_INPUTS) {
  let newest = 0;
  const visit = (path) => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return;
    }
    newest = Math.max(newest, stat.mtimeMs);
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  for (const input of inputs) visit(join(root, input));
  return newest;
}

/** True when the last build started after every input last changed. */
export function buildIsCurrent(root, inputs = BUILD_INPUTS) {
  const stamp = join(root, BUILD_STAMP);
  if (!existsSync(stamp)) return false;
  return statSync(stamp).mtimeMs >= newestInputMtime(root, inputs);
}

/** Runs the TypeScript compiler of the project on tsconfig.build.json; true when it succeeded. */
export function runTsc(root) {
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  return result.status === 0;
}

/**
 * Builds when needed. Returns 'current' (nothing to do), 'built', or 'no-sources' (a deployed
 * copy without the TypeScript, such as the Docker image: dist/ is all there is). Throws when the
 * compiler fails; no stamp is written then, so the next start tries again.
 */
export function ensureBuild(root, options = {}) {
  const { force = false, compile = runTsc, now = Date.now, log = (message) => console.error(message) } = options;
  if (!existsSync(join(root, 'tsconfig.build.json'))) return 'no-sources';
  if (!force && buildIsCurrent(root)) return 'current';
  const started = now();
  log(force ? 'building dist/ …' : 'dist/ is missing or older than the sources: building it …');
  if (!compile(root)) throw new Error('the TypeScript build failed; dist/ was not marked as current');
  const stamp = join(root, BUILD_STAMP);
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, `built ${new Date(started).toISOString()}\n`);
  // The start of the build, not its end: a source saved while the compiler ran is newer than it.
  utimesSync(stamp, started / 1000, started / 1000);
  return 'built';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  try {
    ensureBuild(root, { force: process.argv.includes('--force') });
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
