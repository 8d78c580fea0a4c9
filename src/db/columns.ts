import { sql } from 'drizzle-orm';
import { integer } from 'drizzle-orm/sqlite-core';

/** Milliseconds since the Unix epoch (UTC). Every timestamp column in the schema uses this. */
export const epochMs = (name: string) => integer(name);

/** A boolean stored as 0/1. */
export const flag = (name: string) => integer(name, { mode: 'boolean' });

/** SQL for "now" in epoch milliseconds, for column defaults. */
export const nowMs = sql`(CAST(unixepoch('subsec') * 1000 AS INTEGER))`;
