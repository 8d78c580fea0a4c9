CREATE TABLE `payout_bank_confirmations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`payout_id` integer NOT NULL,
	`amount_fen` integer NOT NULL,
	`statement_name` text DEFAULT '' NOT NULL,
	`confirmed_by_user_id` integer NOT NULL,
	`confirmed_at` integer NOT NULL,
	FOREIGN KEY (`payout_id`) REFERENCES `payouts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`confirmed_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "payout_bank_confirmations_amount_ck" CHECK("payout_bank_confirmations"."amount_fen" > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payout_bank_confirmations_payout_uq` ON `payout_bank_confirmations` (`payout_id`);--> statement-breakpoint
CREATE TABLE `payout_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`household_id` integer NOT NULL,
	`amount_fen` integer NOT NULL,
	`method` text NOT NULL,
	`reference` text DEFAULT '' NOT NULL,
	`paid_on` text NOT NULL,
	`evidence_media_id` integer,
	`reverses_payout_id` integer,
	`note` text,
	`project_ids` text,
	`requested_by_user_id` integer NOT NULL,
	`requested_at` integer NOT NULL,
	`decided_by_user_id` integer,
	`decided_at` integer,
	`decision_note` text,
	`payout_id` integer,
	FOREIGN KEY (`household_id`) REFERENCES `households`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`evidence_media_id`) REFERENCES `media`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`reverses_payout_id`) REFERENCES `payouts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`requested_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`decided_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`payout_id`) REFERENCES `payouts`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "payout_requests_kind_ck" CHECK("payout_requests"."kind" IN ('payout','reversal')),
	CONSTRAINT "payout_requests_status_ck" CHECK("payout_requests"."status" IN ('pending','approved','rejected')),
	CONSTRAINT "payout_requests_method_ck" CHECK("payout_requests"."method" IN ('bank_transfer','wechat','cash')),
	CONSTRAINT "payout_requests_amount_ck" CHECK("payout_requests"."amount_fen" > 0),
	CONSTRAINT "payout_requests_reversal_ck" CHECK(("payout_requests"."kind" = 'reversal') = ("payout_requests"."reverses_payout_id" IS NOT NULL)),
	CONSTRAINT "payout_requests_decided_ck" CHECK(("payout_requests"."status" = 'pending') = ("payout_requests"."decided_by_user_id" IS NULL)),
	CONSTRAINT "payout_requests_second_person_ck" CHECK("payout_requests"."decided_by_user_id" IS NULL OR "payout_requests"."decided_by_user_id" <> "payout_requests"."requested_by_user_id")
);
--> statement-breakpoint
CREATE INDEX `payout_requests_status_idx` ON `payout_requests` (`status`,`household_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `payout_requests_payout_uq` ON `payout_requests` (`payout_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `payout_requests_pending_reversal_uq` ON `payout_requests` (`reverses_payout_id`) WHERE "payout_requests"."status" = 'pending';--> statement-breakpoint
ALTER TABLE `households` ADD `bank_account_name` text;--> statement-breakpoint
ALTER TABLE `households` ADD `bank_account_no` text;--> statement-breakpoint
ALTER TABLE `households` ADD `bank_name` text;