CREATE TABLE `order_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_id` integer NOT NULL,
	`kind` text NOT NULL,
	`reason` text NOT NULL,
	`note` text NOT NULL,
	`amount_fen` integer,
	`status` text DEFAULT 'open' NOT NULL,
	`opened_by_user_id` integer,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`reply` text,
	`answered_by_user_id` integer,
	`answered_at` integer,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`opened_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`answered_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "order_requests_kind_ck" CHECK("order_requests"."kind" IN ('refund','problem')),
	CONSTRAINT "order_requests_status_ck" CHECK("order_requests"."status" IN ('open','accepted','declined')),
	CONSTRAINT "order_requests_amount_ck" CHECK("order_requests"."amount_fen" IS NULL OR "order_requests"."amount_fen" > 0)
);
--> statement-breakpoint
CREATE INDEX `order_requests_order_idx` ON `order_requests` (`order_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `order_requests_status_idx` ON `order_requests` (`status`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `order_requests_one_open_uq` ON `order_requests` (`order_id`) WHERE "order_requests"."status" = 'open';--> statement-breakpoint
ALTER TABLE `shipments` ADD `delivered_at` integer;