CREATE TABLE `order_day_counters` (
	`prefix` text PRIMARY KEY NOT NULL,
	`last_number` integer NOT NULL
);
