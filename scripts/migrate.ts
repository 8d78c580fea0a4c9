// Applies the committed migrations to the configured database (npm run migrate), so an operator can
// migrate before rolling out new servers: drizzle/ on the SQLite file (DATABASE_PATH), or drizzle-pg/
// on PostgreSQL when DATABASE_URL is set (the database is created if the server has none by that
// name). The server applies any still pending at start-up as well; applying them twice does nothing.
import { loadConfig } from '../src/config.js';
import { appliedMigrations, migrateDatabase, openDatabase } from '../src/db/client.js';
import { migratePgDatabase, openPgDatabase } from '../src/db/pg-client.js';

const config = loadConfig();
if (config.database.engine === 'postgresql') {
  const { url } = config.database;
  const db = openPgDatabase(url, { maxConnections: 1 });
  try {
    const { applied, total } = await migratePgDatabase(db, url);
    const where = new URL(url);
    where.password = '';
    console.log(`${where.host}${where.pathname} (PostgreSQL): ${applied} migration(s) applied, ${total} in all`);
  } finally {
    await db.end();
  }
} else {
  const db = openDatabase(config.databasePath);
  try {
    const before = appliedMigrations(db);
    migrateDatabase(db);
    const after = appliedMigrations(db);
    console.log(`${config.databasePath}: ${after - before} migration(s) applied, ${after} in all`);
  } finally {
    db.close();
  }
}
