ALTER TABLE `projects` ADD `funding_source_en` text;--> statement-breakpoint
ALTER TABLE `regions` ADD `city_en` text;--> statement-breakpoint
ALTER TABLE `regions` ADD `county_en` text;--> statement-breakpoint
ALTER TABLE `regions` ADD `township_en` text;