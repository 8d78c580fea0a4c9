ALTER TABLE `payments` ADD `settlement_currency` text;--> statement-breakpoint
ALTER TABLE `payments` ADD `settlement_fee_minor` integer;--> statement-breakpoint
ALTER TABLE `payments` ADD `settlement_exchange_rate` text;