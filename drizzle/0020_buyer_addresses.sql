CREATE TABLE `buyer_addresses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`recipient_name` text NOT NULL,
	`phone` text NOT NULL,
	`province` text NOT NULL,
	`city` text NOT NULL,
	`district` text NOT NULL,
	`street` text NOT NULL,
	`is_default` integer,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "buyer_addresses_default_ck" CHECK("buyer_addresses"."is_default" IS NULL OR "buyer_addresses"."is_default" = 1)
);
--> statement-breakpoint
CREATE INDEX `buyer_addresses_user_idx` ON `buyer_addresses` (`user_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `buyer_addresses_default_uq` ON `buyer_addresses` (`user_id`,`is_default`);