-- Notes on reconciliation mismatches are history: a note is never changed or removed, a later note adds to it.
CREATE TRIGGER `reconciliation_notes_no_update` BEFORE UPDATE ON `reconciliation_notes` BEGIN
  SELECT RAISE(ABORT, 'reconciliation_notes are append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `reconciliation_notes_no_delete` BEFORE DELETE ON `reconciliation_notes` BEGIN
  SELECT RAISE(ABORT, 'reconciliation_notes are append-only');
END;
