DROP INDEX `ledger_entries_account_idx`;--> statement-breakpoint
CREATE INDEX `ledger_entries_account_amount_idx` ON `ledger_entries` (`account_id`,`transaction_id`,`amount_fen`);--> statement-breakpoint
CREATE INDEX `ledger_transactions_posting_idx` ON `ledger_transactions` (`id`,`posted_at`,`kind`);