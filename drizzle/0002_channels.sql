CREATE TABLE `counter_sales` (
	`order_id` integer PRIMARY KEY NOT NULL,
	`outlet_id` integer NOT NULL,
	`channel` text NOT NULL,
	`staff_user_id` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`outlet_id`) REFERENCES `outlets`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`staff_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "counter_sales_channel_ck" CHECK("counter_sales"."channel" IN ('cash','wechat','alipay'))
);
--> statement-breakpoint
CREATE TABLE `invoice_requests` (
	`order_id` integer PRIMARY KEY NOT NULL,
	`organization_id` integer,
	`title` text NOT NULL,
	`tax_number` text NOT NULL,
	`email` text,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `lot_households` (
	`lot_id` integer NOT NULL,
	`household_id` integer NOT NULL,
	PRIMARY KEY(`lot_id`, `household_id`),
	FOREIGN KEY (`lot_id`) REFERENCES `lots`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`household_id`) REFERENCES `households`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `lots` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`product_id` integer NOT NULL,
	`code` text NOT NULL,
	`harvested_on` text NOT NULL,
	`quantity` integer NOT NULL,
	`remaining` integer NOT NULL,
	`notes` text,
	`certificate_media_id` integer,
	`recalled_at` integer,
	`recall_reason` text,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`certificate_media_id`) REFERENCES `media`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "lots_qty_ck" CHECK("lots"."quantity" > 0 AND "lots"."remaining" >= 0 AND "lots"."remaining" <= "lots"."quantity")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `lots_code_uq` ON `lots` (`code`);--> statement-breakpoint
CREATE INDEX `lots_fifo_idx` ON `lots` (`product_id`,`harvested_on`,`id`);--> statement-breakpoint
CREATE TABLE `order_line_lots` (
	`order_line_id` integer NOT NULL,
	`lot_id` integer NOT NULL,
	`quantity` integer NOT NULL,
	PRIMARY KEY(`order_line_id`, `lot_id`),
	FOREIGN KEY (`order_line_id`) REFERENCES `order_lines`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`lot_id`) REFERENCES `lots`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "order_line_lots_qty_ck" CHECK("order_line_lots"."quantity" > 0)
);
--> statement-breakpoint
CREATE INDEX `order_line_lots_lot_idx` ON `order_line_lots` (`lot_id`);--> statement-breakpoint
CREATE TABLE `organization_members` (
	`organization_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	PRIMARY KEY(`organization_id`, `user_id`),
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organization_members_user_uq` ON `organization_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `organization_quotas` (
	`organization_id` integer NOT NULL,
	`year` integer NOT NULL,
	`quota_fen` integer NOT NULL,
	PRIMARY KEY(`organization_id`, `year`),
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "organization_quotas_ck" CHECK("organization_quotas"."quota_fen" >= 0 AND "organization_quotas"."year" BETWEEN 2000 AND 2100)
);
--> statement-breakpoint
CREATE TABLE `organizations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`credit_code` text NOT NULL,
	`invoice_title` text NOT NULL,
	`tax_number` text NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	CONSTRAINT "organizations_credit_code_ck" CHECK(length("organizations"."credit_code") = 18)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organizations_credit_code_uq` ON `organizations` (`credit_code`);--> statement-breakpoint
CREATE TABLE `outlet_stock` (
	`outlet_id` integer NOT NULL,
	`product_id` integer NOT NULL,
	`quantity` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`outlet_id`, `product_id`),
	FOREIGN KEY (`outlet_id`) REFERENCES `outlets`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "outlet_stock_qty_ck" CHECK("outlet_stock"."quantity" >= 0)
);
--> statement-breakpoint
CREATE TABLE `outlets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`name_en` text,
	`address` text NOT NULL,
	`opening_hours` text NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outlets_slug_uq` ON `outlets` (`slug`);--> statement-breakpoint
CREATE TABLE `pickups` (
	`order_id` integer PRIMARY KEY NOT NULL,
	`outlet_id` integer NOT NULL,
	`code_hash` text NOT NULL,
	`picked_up_at` integer,
	`checked_by_user_id` integer,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`outlet_id`) REFERENCES `outlets`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`checked_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `pickups_outlet_idx` ON `pickups` (`outlet_id`);--> statement-breakpoint
CREATE TABLE `quotes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`organization_id` integer,
	`requested_by_user_id` integer NOT NULL,
	`product_id` integer NOT NULL,
	`quantity` integer NOT NULL,
	`note` text,
	`status` text DEFAULT 'requested' NOT NULL,
	`unit_price_fen` integer,
	`valid_until` integer,
	`answered_by_user_id` integer,
	`answered_at` integer,
	`order_id` integer,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`requested_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`answered_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "quotes_qty_ck" CHECK("quotes"."quantity" > 0),
	CONSTRAINT "quotes_price_ck" CHECK("quotes"."unit_price_fen" IS NULL OR "quotes"."unit_price_fen" >= 0),
	CONSTRAINT "quotes_status_ck" CHECK("quotes"."status" IN ('requested','answered','accepted','declined','expired'))
);
--> statement-breakpoint
CREATE INDEX `quotes_product_idx` ON `quotes` (`product_id`,`status`);--> statement-breakpoint
CREATE INDEX `quotes_requester_idx` ON `quotes` (`requested_by_user_id`);--> statement-breakpoint
CREATE TABLE `user_outlets` (
	`user_id` integer NOT NULL,
	`outlet_id` integer NOT NULL,
	PRIMARY KEY(`user_id`, `outlet_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`outlet_id`) REFERENCES `outlets`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `wishes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`village_id` integer,
	`child_name` text NOT NULL,
	`child_age` integer NOT NULL,
	`item` text NOT NULL,
	`item_en` text,
	`amount_fen` integer NOT NULL,
	`story` text DEFAULT '' NOT NULL,
	`story_en` text,
	`photo_media_id` integer,
	`photo_consent` integer DEFAULT false NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`order_id` integer,
	`delivered_at` integer,
	`delivery_photo_media_id` integer,
	`delivery_note` text,
	`posted_by_user_id` integer,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`village_id`) REFERENCES `villages`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`photo_media_id`) REFERENCES `media`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`delivery_photo_media_id`) REFERENCES `media`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`posted_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "wishes_amount_ck" CHECK("wishes"."amount_fen" > 0),
	CONSTRAINT "wishes_age_ck" CHECK("wishes"."child_age" BETWEEN 0 AND 18),
	CONSTRAINT "wishes_status_ck" CHECK("wishes"."status" IN ('open','claimed','paid','delivered','cancelled'))
);
--> statement-breakpoint
CREATE INDEX `wishes_status_idx` ON `wishes` (`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `wishes_order_uq` ON `wishes` (`order_id`);