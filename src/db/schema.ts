// Every domain's tables, for drizzle's relational typing. Domains own their tables; this only gathers them.
export * from '../accounts/schema.js';
export * from '../audit/schema.js';
export * from '../catalog/schema.js';
export * from '../coordinator/schema.js';
export * from '../institutions/schema.js';
export * from '../ledger/schema.js';
export * from '../lots/schema.js';
export * from '../media/schema.js';
export * from '../orders/schema.js';
export * from '../outlets/schema.js';
export * from '../payments/schema.js';
export * from '../projects/schema.js';
export * from '../villages/schema.js';
export * from '../wishes/schema.js';
export * from '../notifications/schema.js';
export * from '../addresses/schema.js';
export * from '../cluster/schema.js';
