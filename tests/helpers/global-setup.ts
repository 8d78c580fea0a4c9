import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { migrateDatabase, openDatabase } from '../../src/db/client.js';
import { seedDemoData } from '../../src/demo/seed.js';

/**
 * Seeds one template database for the whole run; every test copies it into a fresh file,
 * so each test starts from the same demo data without paying for the seed (images included).
 */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'xiangyi-template-'));
  const path = join(dir, 'template.db');
  const db = openDatabase(path);
  migrateDatabase(db);
  await seedDemoData(db, {});
  db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  db.sqlite.pragma('journal_mode = DELETE');
  db.close();
  project.provide('templateDbPath', path);
  return () => rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    templateDbPath: string;
  }
}
