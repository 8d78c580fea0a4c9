CREATE TABLE `login_failures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email` text NOT NULL,
	`address` text NOT NULL,
	`at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `login_failures_email_idx` ON `login_failures` (`email`,`at`);--> statement-breakpoint
CREATE INDEX `login_failures_address_idx` ON `login_failures` (`address`,`at`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`user_id` integer,
	`data` text DEFAULT '{}' NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`last_seen_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE INDEX `sessions_expires_idx` ON `sessions` (`expires_at`);--> statement-breakpoint
CREATE TABLE `user_projects` (
	`user_id` integer NOT NULL,
	`project_id` integer NOT NULL,
	PRIMARY KEY(`user_id`, `project_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `user_villages` (
	`user_id` integer NOT NULL,
	`village_id` integer NOT NULL,
	PRIMARY KEY(`user_id`, `village_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`village_id`) REFERENCES `villages`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email` text NOT NULL,
	`password_hash` text NOT NULL,
	`display_name` text NOT NULL,
	`role` text DEFAULT 'buyer' NOT NULL,
	`all_projects` integer DEFAULT false NOT NULL,
	`disabled` integer DEFAULT false NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`password_changed_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	CONSTRAINT "users_role_ck" CHECK("users"."role" IN ('buyer','first_secretary','coordinator','admin','outlet_staff')),
	CONSTRAINT "users_email_ck" CHECK("users"."email" = lower(trim("users"."email")) AND instr("users"."email", '@') > 1)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_uq` ON `users` (`email`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer,
	`action` text NOT NULL,
	`entity_type` text NOT NULL,
	`entity_id` text NOT NULL,
	`summary` text DEFAULT '{}' NOT NULL,
	`address` text,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `audit_log_created_idx` ON `audit_log` (`created_at`);--> statement-breakpoint
CREATE INDEX `audit_log_user_idx` ON `audit_log` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `audit_log_entity_idx` ON `audit_log` (`entity_type`,`entity_id`);--> statement-breakpoint
CREATE TABLE `price_tiers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`product_id` integer NOT NULL,
	`min_qty` integer NOT NULL,
	`price_fen` integer NOT NULL,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "price_tiers_qty_ck" CHECK("price_tiers"."min_qty" >= 2),
	CONSTRAINT "price_tiers_price_ck" CHECK("price_tiers"."price_fen" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `price_tiers_product_qty_uq` ON `price_tiers` (`product_id`,`min_qty`);--> statement-breakpoint
CREATE TABLE `product_photos` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`product_id` integer NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`list_media_id` integer NOT NULL,
	`detail_media_id` integer NOT NULL,
	`alt_zh` text DEFAULT '' NOT NULL,
	`alt_en` text,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`list_media_id`) REFERENCES `media`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`detail_media_id`) REFERENCES `media`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `product_photos_product_idx` ON `product_photos` (`product_id`,`position`);--> statement-breakpoint
CREATE TABLE `products` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`slug` text NOT NULL,
	`producer_id` integer NOT NULL,
	`project_id` integer NOT NULL,
	`category` text NOT NULL,
	`unit` text NOT NULL,
	`title_zh` text NOT NULL,
	`title_en` text,
	`description_zh` text DEFAULT '' NOT NULL,
	`description_en` text,
	`story_zh` text DEFAULT '' NOT NULL,
	`story_en` text,
	`price_fen` integer NOT NULL,
	`stock` integer DEFAULT 0 NOT NULL,
	`min_order_qty` integer DEFAULT 1 NOT NULL,
	`max_retail_qty` integer,
	`low_stock_threshold` integer DEFAULT 5 NOT NULL,
	`published` integer DEFAULT false NOT NULL,
	`featured` integer DEFAULT false NOT NULL,
	`sold_count` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`producer_id`) REFERENCES `producers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "products_price_ck" CHECK("products"."price_fen" >= 0),
	CONSTRAINT "products_stock_ck" CHECK("products"."stock" >= 0),
	CONSTRAINT "products_min_order_ck" CHECK("products"."min_order_qty" >= 1),
	CONSTRAINT "products_max_retail_ck" CHECK("products"."max_retail_qty" IS NULL OR "products"."max_retail_qty" >= "products"."min_order_qty"),
	CONSTRAINT "products_low_stock_ck" CHECK("products"."low_stock_threshold" >= 0),
	CONSTRAINT "products_sold_ck" CHECK("products"."sold_count" >= 0),
	CONSTRAINT "products_category_ck" CHECK("products"."category" IN ('tea','honey','grain-oil','eggs-poultry','dried-goods','fruit','spices','handicrafts')),
	CONSTRAINT "products_unit_ck" CHECK("products"."unit" IN ('jian','jin','kg','box','bottle','jar','pair','bag','dozen')),
	CONSTRAINT "products_slug_ck" CHECK("products"."slug" GLOB '[a-z0-9]*' AND length("products"."slug") BETWEEN 1 AND 80)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `products_slug_uq` ON `products` (`slug`);--> statement-breakpoint
CREATE INDEX `products_producer_idx` ON `products` (`producer_id`);--> statement-breakpoint
CREATE INDEX `products_project_idx` ON `products` (`project_id`);--> statement-breakpoint
CREATE INDEX `products_listing_idx` ON `products` (`published`,`created_at`);--> statement-breakpoint
CREATE INDEX `products_category_idx` ON `products` (`category`,`published`);--> statement-breakpoint
CREATE TABLE `stock_adjustments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`product_id` integer NOT NULL,
	`delta` integer NOT NULL,
	`reason` text NOT NULL,
	`user_id` integer,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "stock_adjustments_delta_ck" CHECK("stock_adjustments"."delta" <> 0)
);
--> statement-breakpoint
CREATE INDEX `stock_adjustments_product_idx` ON `stock_adjustments` (`product_id`);--> statement-breakpoint
CREATE TABLE `ledger_accounts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`code` text NOT NULL,
	`kind` text NOT NULL,
	`household_id` integer,
	`project_id` integer,
	`channel` text,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`household_id`) REFERENCES `households`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ledger_accounts_kind_ck" CHECK("ledger_accounts"."kind" IN ('clearing','household_payable','project_fund','operations','shipping','processor_fees','cash')),
	CONSTRAINT "ledger_accounts_household_ck" CHECK(("ledger_accounts"."kind" = 'household_payable') = ("ledger_accounts"."household_id" IS NOT NULL)),
	CONSTRAINT "ledger_accounts_project_ck" CHECK(("ledger_accounts"."kind" = 'project_fund') = ("ledger_accounts"."project_id" IS NOT NULL))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_accounts_code_uq` ON `ledger_accounts` (`code`);--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_accounts_household_uq` ON `ledger_accounts` (`household_id`);--> statement-breakpoint
CREATE TABLE `ledger_entries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`transaction_id` integer NOT NULL,
	`account_id` integer NOT NULL,
	`amount_fen` integer NOT NULL,
	`order_line_id` integer,
	FOREIGN KEY (`transaction_id`) REFERENCES `ledger_transactions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`account_id`) REFERENCES `ledger_accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`order_line_id`) REFERENCES `order_lines`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ledger_entries_nonzero_ck" CHECK("ledger_entries"."amount_fen" <> 0)
);
--> statement-breakpoint
CREATE INDEX `ledger_entries_tx_idx` ON `ledger_entries` (`transaction_id`);--> statement-breakpoint
CREATE INDEX `ledger_entries_account_idx` ON `ledger_entries` (`account_id`,`transaction_id`);--> statement-breakpoint
CREATE INDEX `ledger_entries_line_idx` ON `ledger_entries` (`order_line_id`);--> statement-breakpoint
CREATE TABLE `ledger_transactions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`idempotency_key` text NOT NULL,
	`kind` text NOT NULL,
	`order_id` integer,
	`payout_id` integer,
	`split_rule_id` integer,
	`memo` text DEFAULT '' NOT NULL,
	`period` text NOT NULL,
	`posted_at` integer NOT NULL,
	`created_by_user_id` integer,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`split_rule_id`) REFERENCES `project_split_rules`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ledger_transactions_period_ck" CHECK("ledger_transactions"."period" GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]')
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_transactions_key_uq` ON `ledger_transactions` (`idempotency_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_transactions_hash_uq` ON `ledger_transactions` (`hash`);--> statement-breakpoint
CREATE INDEX `ledger_transactions_order_idx` ON `ledger_transactions` (`order_id`);--> statement-breakpoint
CREATE INDEX `ledger_transactions_period_idx` ON `ledger_transactions` (`period`);--> statement-breakpoint
CREATE TABLE `payouts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`household_id` integer NOT NULL,
	`amount_fen` integer NOT NULL,
	`method` text NOT NULL,
	`reference` text DEFAULT '' NOT NULL,
	`paid_on` text NOT NULL,
	`evidence_media_id` integer,
	`reverses_payout_id` integer,
	`note` text,
	`created_by_user_id` integer,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`household_id`) REFERENCES `households`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`evidence_media_id`) REFERENCES `media`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "payouts_amount_ck" CHECK("payouts"."amount_fen" <> 0 AND (("payouts"."reverses_payout_id" IS NULL) = ("payouts"."amount_fen" > 0))),
	CONSTRAINT "payouts_method_ck" CHECK("payouts"."method" IN ('bank_transfer','wechat','cash'))
);
--> statement-breakpoint
CREATE INDEX `payouts_household_idx` ON `payouts` (`household_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `payouts_reverses_uq` ON `payouts` (`reverses_payout_id`);--> statement-breakpoint
CREATE TABLE `period_locks` (
	`period` text PRIMARY KEY NOT NULL,
	`locked_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`locked_by_user_id` integer,
	FOREIGN KEY (`locked_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `media` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`sha256` text NOT NULL,
	`content_type` text NOT NULL,
	`bytes` blob NOT NULL,
	`width` integer,
	`height` integer,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	CONSTRAINT "media_type_ck" CHECK("media"."content_type" IN ('image/webp','image/jpeg','image/png','application/pdf'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `media_sha256_uq` ON `media` (`sha256`);--> statement-breakpoint
CREATE TABLE `cart_items` (
	`cart_id` integer NOT NULL,
	`product_id` integer NOT NULL,
	`quantity` integer NOT NULL,
	`added_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	PRIMARY KEY(`cart_id`, `product_id`),
	FOREIGN KEY (`cart_id`) REFERENCES `carts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "cart_items_qty_ck" CHECK("cart_items"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE `carts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id_hash` text,
	`user_id` integer,
	`updated_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `carts_session_uq` ON `carts` (`session_id_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `carts_user_uq` ON `carts` (`user_id`);--> statement-breakpoint
CREATE TABLE `order_lines` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_id` integer NOT NULL,
	`product_id` integer NOT NULL,
	`village_id` integer NOT NULL,
	`producer_id` integer NOT NULL,
	`project_id` integer NOT NULL,
	`title_zh` text NOT NULL,
	`title_en` text,
	`unit` text NOT NULL,
	`unit_price_fen` integer NOT NULL,
	`quantity` integer NOT NULL,
	`line_total_fen` integer NOT NULL,
	`refunded_fen` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`village_id`) REFERENCES `villages`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`producer_id`) REFERENCES `producers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "order_lines_qty_ck" CHECK("order_lines"."quantity" > 0),
	CONSTRAINT "order_lines_price_ck" CHECK("order_lines"."unit_price_fen" >= 0 AND "order_lines"."line_total_fen" = "order_lines"."unit_price_fen" * "order_lines"."quantity"),
	CONSTRAINT "order_lines_refunded_ck" CHECK("order_lines"."refunded_fen" >= 0 AND "order_lines"."refunded_fen" <= "order_lines"."line_total_fen")
);
--> statement-breakpoint
CREATE INDEX `order_lines_order_idx` ON `order_lines` (`order_id`);--> statement-breakpoint
CREATE INDEX `order_lines_product_idx` ON `order_lines` (`product_id`);--> statement-breakpoint
CREATE INDEX `order_lines_village_idx` ON `order_lines` (`village_id`,`order_id`);--> statement-breakpoint
CREATE TABLE `orders` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`number` text NOT NULL,
	`access_token_hash` text NOT NULL,
	`receipt_code` text NOT NULL,
	`buyer_user_id` integer,
	`contact_name` text NOT NULL,
	`phone` text NOT NULL,
	`province` text NOT NULL,
	`city` text NOT NULL,
	`district` text NOT NULL,
	`address` text NOT NULL,
	`note` text,
	`status` text DEFAULT 'pending_payment' NOT NULL,
	`payment_method` text NOT NULL,
	`delivery_method` text DEFAULT 'ship' NOT NULL,
	`subtotal_fen` integer NOT NULL,
	`shipping_fen` integer NOT NULL,
	`total_fen` integer NOT NULL,
	`refunded_fen` integer DEFAULT 0 NOT NULL,
	`expires_at` integer NOT NULL,
	`paid_at` integer,
	`cancelled_at` integer,
	`completed_at` integer,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`buyer_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "orders_status_ck" CHECK("orders"."status" IN ('pending_payment','paid','shipped','completed','cancelled','refunded','partially_refunded')),
	CONSTRAINT "orders_method_ck" CHECK("orders"."payment_method" IN ('offline','stripe')),
	CONSTRAINT "orders_delivery_ck" CHECK("orders"."delivery_method" IN ('ship','pickup')),
	CONSTRAINT "orders_amounts_ck" CHECK("orders"."subtotal_fen" >= 0 AND "orders"."shipping_fen" >= 0 AND "orders"."total_fen" = "orders"."subtotal_fen" + "orders"."shipping_fen"),
	CONSTRAINT "orders_refunded_ck" CHECK("orders"."refunded_fen" >= 0 AND "orders"."refunded_fen" <= "orders"."total_fen")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `orders_number_uq` ON `orders` (`number`);--> statement-breakpoint
CREATE UNIQUE INDEX `orders_receipt_uq` ON `orders` (`receipt_code`);--> statement-breakpoint
CREATE INDEX `orders_buyer_idx` ON `orders` (`buyer_user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `orders_status_expiry_idx` ON `orders` (`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `orders_created_idx` ON `orders` (`created_at`);--> statement-breakpoint
CREATE TABLE `shipments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_id` integer NOT NULL,
	`village_id` integer NOT NULL,
	`shipping_fee_fen` integer DEFAULT 0 NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`carrier` text,
	`tracking_number` text,
	`shipped_at` integer,
	`shipped_by_user_id` integer,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`village_id`) REFERENCES `villages`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`shipped_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "shipments_fee_ck" CHECK("shipments"."shipping_fee_fen" >= 0),
	CONSTRAINT "shipments_status_ck" CHECK("shipments"."status" IN ('pending','shipped','delivered'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `shipments_order_village_uq` ON `shipments` (`order_id`,`village_id`);--> statement-breakpoint
CREATE INDEX `shipments_village_status_idx` ON `shipments` (`village_id`,`status`);--> statement-breakpoint
CREATE TABLE `payments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_id` integer NOT NULL,
	`channel` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`amount_fen` integer NOT NULL,
	`fee_fen` integer DEFAULT 0 NOT NULL,
	`reference` text,
	`stripe_checkout_session_id` text,
	`stripe_payment_intent_id` text,
	`stripe_charge_id` text,
	`confirmed_by_user_id` integer,
	`confirmed_at` integer,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`confirmed_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "payments_amount_ck" CHECK("payments"."amount_fen" >= 0 AND "payments"."fee_fen" >= 0),
	CONSTRAINT "payments_status_ck" CHECK("payments"."status" IN ('pending','succeeded','failed','expired'))
);
--> statement-breakpoint
CREATE INDEX `payments_order_idx` ON `payments` (`order_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `payments_stripe_session_uq` ON `payments` (`stripe_checkout_session_id`);--> statement-breakpoint
CREATE INDEX `payments_confirmed_idx` ON `payments` (`confirmed_at`);--> statement-breakpoint
CREATE TABLE `refunds` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_id` integer NOT NULL,
	`payment_id` integer,
	`order_line_id` integer,
	`amount_fen` integer NOT NULL,
	`reason` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`stripe_refund_id` text,
	`created_by_user_id` integer,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`settled_at` integer,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "refunds_amount_ck" CHECK("refunds"."amount_fen" > 0),
	CONSTRAINT "refunds_status_ck" CHECK("refunds"."status" IN ('pending','succeeded','failed'))
);
--> statement-breakpoint
CREATE INDEX `refunds_order_idx` ON `refunds` (`order_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `refunds_stripe_uq` ON `refunds` (`stripe_refund_id`);--> statement-breakpoint
CREATE TABLE `stripe_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`stripe_created_at` integer NOT NULL,
	`processed_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `project_households` (
	`project_id` integer NOT NULL,
	`household_id` integer NOT NULL,
	`enrolled_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	PRIMARY KEY(`project_id`, `household_id`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`household_id`) REFERENCES `households`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `project_households_household_idx` ON `project_households` (`household_id`);--> statement-breakpoint
CREATE TABLE `project_split_rules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`household_bp` integer NOT NULL,
	`project_fund_bp` integer NOT NULL,
	`operations_bp` integer NOT NULL,
	`effective_from` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`created_by_user_id` integer,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "project_split_rules_parts_ck" CHECK("project_split_rules"."household_bp" >= 0 AND "project_split_rules"."project_fund_bp" >= 0 AND "project_split_rules"."operations_bp" >= 0),
	CONSTRAINT "project_split_rules_sum_ck" CHECK("project_split_rules"."household_bp" + "project_split_rules"."project_fund_bp" + "project_split_rules"."operations_bp" = 10000)
);
--> statement-breakpoint
CREATE INDEX `project_split_rules_project_idx` ON `project_split_rules` (`project_id`,`effective_from`);--> statement-breakpoint
CREATE TABLE `projects` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`slug` text NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text,
	`funding_source` text DEFAULT '' NOT NULL,
	`starts_on` text,
	`ends_on` text,
	`target_fen` integer,
	`story_zh` text DEFAULT '' NOT NULL,
	`story_en` text,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	CONSTRAINT "projects_target_ck" CHECK("projects"."target_fen" IS NULL OR "projects"."target_fen" >= 0),
	CONSTRAINT "projects_slug_ck" CHECK("projects"."slug" GLOB '[a-z0-9]*' AND length("projects"."slug") BETWEEN 1 AND 80),
	CONSTRAINT "projects_period_ck" CHECK("projects"."starts_on" IS NULL OR "projects"."ends_on" IS NULL OR "projects"."starts_on" <= "projects"."ends_on")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `projects_slug_uq` ON `projects` (`slug`);--> statement-breakpoint
CREATE TABLE `households` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`village_id` integer NOT NULL,
	`real_name` text NOT NULL,
	`display_name` text,
	`public_story_zh` text,
	`public_story_en` text,
	`consent_public` integer DEFAULT false NOT NULL,
	`phone` text,
	`id_card_last4` text,
	`poverty_reg_no` text,
	`members` integer DEFAULT 1 NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`village_id`) REFERENCES `villages`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "households_members_ck" CHECK("households"."members" BETWEEN 1 AND 50),
	CONSTRAINT "households_idcard_ck" CHECK("households"."id_card_last4" IS NULL OR (length("households"."id_card_last4") = 4 AND "households"."id_card_last4" GLOB '[0-9][0-9][0-9][0-9Xx]'))
);
--> statement-breakpoint
CREATE INDEX `households_village_idx` ON `households` (`village_id`);--> statement-breakpoint
CREATE TABLE `producer_members` (
	`producer_id` integer NOT NULL,
	`household_id` integer NOT NULL,
	`weight` integer DEFAULT 1 NOT NULL,
	PRIMARY KEY(`producer_id`, `household_id`),
	FOREIGN KEY (`producer_id`) REFERENCES `producers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`household_id`) REFERENCES `households`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "producer_members_weight_ck" CHECK("producer_members"."weight" BETWEEN 1 AND 1000000)
);
--> statement-breakpoint
CREATE INDEX `producer_members_household_idx` ON `producer_members` (`household_id`);--> statement-breakpoint
CREATE TABLE `producers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`village_id` integer NOT NULL,
	`kind` text NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text,
	`story_zh` text DEFAULT '' NOT NULL,
	`story_en` text,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`village_id`) REFERENCES `villages`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "producers_kind_ck" CHECK("producers"."kind" IN ('household','cooperative','enterprise'))
);
--> statement-breakpoint
CREATE INDEX `producers_village_idx` ON `producers` (`village_id`);--> statement-breakpoint
CREATE TABLE `regions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`province` text NOT NULL,
	`city` text NOT NULL,
	`county` text NOT NULL,
	`township` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `regions_path_uq` ON `regions` (`province`,`city`,`county`,`township`);--> statement-breakpoint
CREATE TABLE `villages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`region_id` integer NOT NULL,
	`slug` text NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text,
	`story_zh` text DEFAULT '' NOT NULL,
	`story_en` text,
	`shipping_fee_fen` integer DEFAULT 0 NOT NULL,
	`free_shipping_over_fen` integer,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`region_id`) REFERENCES `regions`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "villages_shipping_fee_ck" CHECK("villages"."shipping_fee_fen" >= 0),
	CONSTRAINT "villages_free_over_ck" CHECK("villages"."free_shipping_over_fen" IS NULL OR "villages"."free_shipping_over_fen" >= 0),
	CONSTRAINT "villages_slug_ck" CHECK("villages"."slug" GLOB '[a-z0-9]*' AND length("villages"."slug") BETWEEN 1 AND 80)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `villages_slug_uq` ON `villages` (`slug`);