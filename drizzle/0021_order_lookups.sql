CREATE TABLE `order_lookups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`contact_hash` text NOT NULL,
	`client_address` text NOT NULL,
	`order_id` integer,
	`token_hash` text,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `order_lookups_contact_idx` ON `order_lookups` (`contact_hash`,`created_at`);--> statement-breakpoint
CREATE INDEX `order_lookups_client_idx` ON `order_lookups` (`client_address`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `order_lookups_token_uq` ON `order_lookups` (`token_hash`) WHERE "order_lookups"."token_hash" IS NOT NULL;