-- drizzle/0030 as PostgreSQL says it: what the bank's returned statements said of payouts is never
-- changed or removed (refuse_change() is drizzle-pg/0001's); TRUNCATE is refused too.
CREATE TRIGGER "payout_bank_confirmations_no_update" BEFORE UPDATE ON "payout_bank_confirmations" FOR EACH ROW EXECUTE FUNCTION refuse_change('payout_bank_confirmations are append-only');
--> statement-breakpoint
CREATE TRIGGER "payout_bank_confirmations_no_delete" BEFORE DELETE ON "payout_bank_confirmations" FOR EACH ROW EXECUTE FUNCTION refuse_change('payout_bank_confirmations are append-only');
--> statement-breakpoint
CREATE TRIGGER "payout_bank_confirmations_no_truncate" BEFORE TRUNCATE ON "payout_bank_confirmations" FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('payout_bank_confirmations are append-only');
