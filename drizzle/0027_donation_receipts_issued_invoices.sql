CREATE TABLE `donation_receipt_counters` (
	`year` integer PRIMARY KEY NOT NULL,
	`last_number` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `donation_receipts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`number` text NOT NULL,
	`year` integer NOT NULL,
	`sequence` integer NOT NULL,
	`order_id` integer NOT NULL,
	`project_id` integer NOT NULL,
	`donor_name` text NOT NULL,
	`amount_fen` integer NOT NULL,
	`issued_at` integer NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "donation_receipts_amount_ck" CHECK("donation_receipts"."amount_fen" > 0),
	CONSTRAINT "donation_receipts_seq_ck" CHECK("donation_receipts"."sequence" > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `donation_receipts_number_uq` ON `donation_receipts` (`number`);--> statement-breakpoint
CREATE UNIQUE INDEX `donation_receipts_year_seq_uq` ON `donation_receipts` (`year`,`sequence`);--> statement-breakpoint
CREATE UNIQUE INDEX `donation_receipts_order_uq` ON `donation_receipts` (`order_id`);--> statement-breakpoint
CREATE INDEX `donation_receipts_project_idx` ON `donation_receipts` (`project_id`,`issued_at`);--> statement-breakpoint
CREATE INDEX `donation_receipts_issued_idx` ON `donation_receipts` (`issued_at`);--> statement-breakpoint
ALTER TABLE `invoice_requests` ADD `invoice_number` text;--> statement-breakpoint
ALTER TABLE `invoice_requests` ADD `invoice_date` integer;--> statement-breakpoint
ALTER TABLE `invoice_requests` ADD `invoice_media_id` integer REFERENCES media(id);--> statement-breakpoint
ALTER TABLE `invoice_requests` ADD `issued_by_user_id` integer REFERENCES users(id);--> statement-breakpoint
ALTER TABLE `invoice_requests` ADD `issued_at` integer;