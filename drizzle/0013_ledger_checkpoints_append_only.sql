-- Published checkpoints are evidence, like the ledger itself: never changed or removed.
CREATE TRIGGER `ledger_checkpoints_no_update` BEFORE UPDATE ON `ledger_checkpoints` BEGIN
  SELECT RAISE(ABORT, 'ledger_checkpoints are append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `ledger_checkpoints_no_delete` BEFORE DELETE ON `ledger_checkpoints` BEGIN
  SELECT RAISE(ABORT, 'ledger_checkpoints are append-only');
END;
