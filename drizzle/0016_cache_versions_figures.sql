-- The ledger's public figures (sales, credited, paid out, households reached) on the home, village,
-- project and /impact pages: a posting bumps `figures`, which only the pages showing them depend on
-- (listings and product pages stay cached through orders). Plain INSERT … ON CONFLICT, as in 0015.
INSERT INTO `cache_versions` (`scope`, `version`) VALUES ('figures', 1);
--> statement-breakpoint
CREATE TRIGGER `ledger_transactions_cache_ai` AFTER INSERT ON `ledger_transactions` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('figures', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
