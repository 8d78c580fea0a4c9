-- What the bank's returned statements said of payouts is evidence, like the payouts themselves:
-- never changed or removed (a payout paid after a failure gets a new row).
CREATE TRIGGER `payout_bank_confirmations_no_update` BEFORE UPDATE ON `payout_bank_confirmations` BEGIN
  SELECT RAISE(ABORT, 'payout_bank_confirmations are append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `payout_bank_confirmations_no_delete` BEFORE DELETE ON `payout_bank_confirmations` BEGIN
  SELECT RAISE(ABORT, 'payout_bank_confirmations are append-only');
END;
