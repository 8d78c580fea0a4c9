import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILD_STAMP, ensureBuild } from '../../scripts/ensure-build.mjs';

/**
 * `npm start` compiles only when dist/ is missing or older than its sources. A project in a temp
 * directory, with a stand-in compiler that counts its runs; every mtime is set by the test.
 */

let root: string;
let compiles: number;
const compile = () => {
  compiles++;
  return true;
};
const realNow = Date.now();
const HOUR_AGO = (realNow - 3600_000) / 1000;
/** The moment the builds in these tests start: after the sources were written, before "now". */
const BUILD_TIME = realNow - 10_000;
const build = (options: { force?: boolean; compile?: () => boolean } = {}) => ensureBuild(root, { compile, now: () => BUILD_TIME, log: () => {}, ...options });

function write(path: string, text = 'x') {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'xiangyi-build-'));
  compiles = 0;
  for (const file of [
    'tsconfig.json',
    'tsconfig.build.json',
    'package.json',
    'package-lock.json',
    'src/server.ts',
    'src/db/client.ts',
    'scripts/backup.ts',
    'views/home.hbs',
    'drizzle/0000_init.sql',
  ])
    write(file);
  // Every source last changed an hour ago, directories included.
  for (const path of [
    'tsconfig.json',
    'tsconfig.build.json',
    'package.json',
    'package-lock.json',
    'src/server.ts',
    'src/db/client.ts',
    'src/db',
    'src',
    'scripts/backup.ts',
    'scripts',
  ])
    utimesSync(join(root, path), HOUR_AGO, HOUR_AGO);
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('building once', () => {
  it('compiles when there is no dist/ yet, and leaves a stamp', () => {
    expect(build()).toBe('built');
    expect(compiles).toBe(1);
    expect(existsSync(join(root, BUILD_STAMP))).toBe(true);
  });

  it('does not compile again on a start after a build', () => {
    build();
    expect(build()).toBe('current');
    expect(build()).toBe('current');
    expect(compiles).toBe(1);
  });

  it('compiles again once a source file changed after the build started', () => {
    build();
    utimesSync(join(root, 'src/db/client.ts'), realNow / 1000, realNow / 1000);
    expect(build()).toBe('built');
    expect(compiles).toBe(2);
  });

  it('compiles again when a source file was deleted (its folder changed)', () => {
    build();
    rmSync(join(root, 'src/db/client.ts'));
    expect(build()).toBe('built');
  });

  it.each(['tsconfig.json', 'package-lock.json', 'scripts/backup.ts'])('compiles again after %s changed', (file) => {
    build();
    utimesSync(join(root, file), realNow / 1000, realNow / 1000);
    expect(build()).toBe('built');
  });

  it('does not compile for a change to views or migrations, which the server reads as they are', () => {
    build();
    write('views/home.hbs', 'changed');
    write('drizzle/0001_more.sql', 'changed');
    expect(build()).toBe('current');
    expect(compiles).toBe(1);
  });

  it('compiles when asked to (npm run build) even if dist/ is current', () => {
    build();
    expect(build({ force: true })).toBe('built');
    expect(compiles).toBe(2);
  });

  it('does not mark dist/ current when the compiler fails, so the next start tries again', () => {
    expect(() => build({ compile: () => false })).toThrow(/build failed/);
    expect(build()).toBe('built');
    expect(compiles).toBe(1);
  });

  it('never compiles a deployed copy without the TypeScript (the Docker image)', () => {
    rmSync(join(root, 'tsconfig.build.json'));
    expect(build()).toBe('no-sources');
    expect(compiles).toBe(0);
  });
});
