CREATE TABLE `ledger_memo_texts` (
	`transaction_id` integer PRIMARY KEY NOT NULL,
	`salt` text NOT NULL,
	`text` text NOT NULL,
	`erased_at` integer,
	FOREIGN KEY (`transaction_id`) REFERENCES `ledger_transactions`(`id`) ON UPDATE no action ON DELETE no action
);
