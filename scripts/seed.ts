// Loads the demo data into the configured database (npm run seed). Does nothing if it has villages.
import { loadConfig } from '../src/config.js';
import { migrateDatabase, openDatabase } from '../src/db/client.js';
import { seedDemoData } from '../src/demo/seed.js';

const config = loadConfig();
if (config.env === 'production') {
  console.error('Refusing to load demo data when NODE_ENV=production.');
  process.exit(1);
}

const db = openDatabase(config.databasePath);
try {
  migrateDatabase(db);
  const started = performance.now();
  const { seeded } = await seedDemoData(db, { log: (msg) => console.log(msg) });
  const ms = Math.round(performance.now() - started);
  console.log(seeded ? `Seeded ${config.databasePath} in ${ms} ms.` : `${config.databasePath} already has data; left unchanged.`);
} finally {
  db.close();
}
