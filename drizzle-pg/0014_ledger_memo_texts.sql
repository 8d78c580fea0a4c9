CREATE TABLE "ledger_memo_texts" (
	"transaction_id" bigint PRIMARY KEY NOT NULL,
	"salt" text NOT NULL,
	"text" text NOT NULL,
	"erased_at" bigint
);
--> statement-breakpoint
ALTER TABLE "ledger_memo_texts" ADD CONSTRAINT "ledger_memo_texts_transaction_id_ledger_transactions_id_fk" FOREIGN KEY ("transaction_id") REFERENCES "public"."ledger_transactions"("id") ON DELETE no action ON UPDATE no action;