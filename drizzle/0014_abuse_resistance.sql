CREATE TABLE `registration_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email` text NOT NULL,
	`display_name` text NOT NULL,
	`password_hash` text,
	`token_hash` text,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`expires_at` integer NOT NULL,
	`confirmed_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `registration_requests_token_uq` ON `registration_requests` (`token_hash`);--> statement-breakpoint
CREATE INDEX `registration_requests_email_idx` ON `registration_requests` (`email`,`created_at`);--> statement-breakpoint
ALTER TABLE `login_failures` ADD `device_hash` text;--> statement-breakpoint
ALTER TABLE `login_failures` ADD `kind` text DEFAULT 'sign_in' NOT NULL;--> statement-breakpoint
CREATE INDEX `login_failures_pair_idx` ON `login_failures` (`email`,`address`,`at`);--> statement-breakpoint
CREATE INDEX `login_failures_device_idx` ON `login_failures` (`device_hash`,`at`) WHERE "login_failures"."device_hash" IS NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `placed_by_visitor` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `placed_from_address` text;--> statement-breakpoint
CREATE INDEX `orders_pending_phone_idx` ON `orders` (`phone`) WHERE "orders"."status" = 'pending_payment';--> statement-breakpoint
CREATE INDEX `orders_pending_visitor_idx` ON `orders` (`placed_by_visitor`) WHERE "orders"."status" = 'pending_payment';--> statement-breakpoint
CREATE INDEX `orders_pending_address_idx` ON `orders` (`placed_from_address`) WHERE "orders"."status" = 'pending_payment';