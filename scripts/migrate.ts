// Applies the committed migrations in drizzle/ to the configured database (npm run migrate), so an
// operator can migrate before rolling out new servers. The server applies any still pending at
// start-up as well; applying them twice does nothing.
import { loadConfig } from '../src/config.js';
import { appliedMigrations, migrateDatabase, openDatabase } from '../src/db/client.js';

const config = loadConfig();
const db = openDatabase(config.databasePath);
try {
  const before = appliedMigrations(db);
  migrateDatabase(db);
  const after = appliedMigrations(db);
  console.log(`${config.databasePath}: ${after - before} migration(s) applied, ${after} in all`);
} finally {
  db.close();
}
