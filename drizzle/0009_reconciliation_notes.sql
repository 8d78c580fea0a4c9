CREATE TABLE `reconciliation_notes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`period` text NOT NULL,
	`mismatch_key` text NOT NULL,
	`note` text NOT NULL,
	`created_by_user_id` integer NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "reconciliation_notes_period_ck" CHECK("reconciliation_notes"."period" GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
	CONSTRAINT "reconciliation_notes_note_ck" CHECK(length("reconciliation_notes"."note") BETWEEN 1 AND 2000)
);
--> statement-breakpoint
CREATE INDEX `reconciliation_notes_period_idx` ON `reconciliation_notes` (`period`,`mismatch_key`,`id`);