CREATE TABLE `recall_resolutions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`lot_id` integer NOT NULL,
	`order_line_id` integer NOT NULL,
	`quantity` integer NOT NULL,
	`action` text NOT NULL,
	`refund_id` integer,
	`replacement_lot_id` integer,
	`created_by_user_id` integer,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`lot_id`) REFERENCES `lots`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`order_line_id`) REFERENCES `order_lines`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`refund_id`) REFERENCES `refunds`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`replacement_lot_id`) REFERENCES `lots`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "recall_resolutions_qty_ck" CHECK("recall_resolutions"."quantity" > 0),
	CONSTRAINT "recall_resolutions_action_ck" CHECK("recall_resolutions"."action" IN ('refund','replace')),
	CONSTRAINT "recall_resolutions_refund_ck" CHECK(("recall_resolutions"."action" = 'refund') = ("recall_resolutions"."refund_id" IS NOT NULL)),
	CONSTRAINT "recall_resolutions_replacement_ck" CHECK(("recall_resolutions"."action" = 'replace') = ("recall_resolutions"."replacement_lot_id" IS NOT NULL))
);
--> statement-breakpoint
CREATE INDEX `recall_resolutions_lot_idx` ON `recall_resolutions` (`lot_id`);--> statement-breakpoint
CREATE INDEX `recall_resolutions_line_idx` ON `recall_resolutions` (`order_line_id`,`lot_id`);--> statement-breakpoint
CREATE TABLE `ledger_checkpoints` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`published_on` text NOT NULL,
	`taken_at` integer NOT NULL,
	`transaction_count` integer NOT NULL,
	`head_transaction_id` integer NOT NULL,
	`head_hash` text NOT NULL,
	`created_by_user_id` integer,
	FOREIGN KEY (`head_transaction_id`) REFERENCES `ledger_transactions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ledger_checkpoints_kind_ck" CHECK("ledger_checkpoints"."kind" IN ('daily','on_demand')),
	CONSTRAINT "ledger_checkpoints_count_ck" CHECK("ledger_checkpoints"."transaction_count" > 0),
	CONSTRAINT "ledger_checkpoints_day_ck" CHECK("ledger_checkpoints"."published_on" GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]')
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_checkpoints_daily_uq` ON `ledger_checkpoints` (`published_on`) WHERE "ledger_checkpoints"."kind" = 'daily';