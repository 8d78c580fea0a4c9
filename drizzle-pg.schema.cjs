// drizzle-kit takes a schema's tables from a module's exports; the PostgreSQL schema is derived from
// the SQLite one at load time (src/db/pg-schema.ts), so its tables are exported here by name.
module.exports = require('./src/db/pg-schema.ts').pgTables;
