ALTER TABLE `ledger_entries` ADD `project_id` integer;--> statement-breakpoint
ALTER TABLE `ledger_entries` ADD `village_id` integer;