DROP INDEX "payout_bank_confirmations_payout_uq";--> statement-breakpoint
ALTER TABLE "payout_bank_confirmations" ADD COLUMN "outcome" text DEFAULT 'paid' NOT NULL;--> statement-breakpoint
ALTER TABLE "payout_bank_confirmations" ADD COLUMN "bank_status" text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "payout_bank_confirmations_paid_uq" ON "payout_bank_confirmations" USING btree ("payout_id") WHERE "outcome" = 'paid';--> statement-breakpoint
CREATE INDEX "payout_bank_confirmations_payout_idx" ON "payout_bank_confirmations" USING btree ("payout_id");