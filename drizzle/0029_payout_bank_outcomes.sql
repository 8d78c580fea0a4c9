DROP INDEX `payout_bank_confirmations_payout_uq`;--> statement-breakpoint
ALTER TABLE `payout_bank_confirmations` ADD `outcome` text DEFAULT 'paid' NOT NULL;--> statement-breakpoint
ALTER TABLE `payout_bank_confirmations` ADD `bank_status` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `payout_bank_confirmations_paid_uq` ON `payout_bank_confirmations` (`payout_id`) WHERE "payout_bank_confirmations"."outcome" = 'paid';--> statement-breakpoint
CREATE INDEX `payout_bank_confirmations_payout_idx` ON `payout_bank_confirmations` (`payout_id`);