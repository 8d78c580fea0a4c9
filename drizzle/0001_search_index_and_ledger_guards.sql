-- Chinese full-text search over product title, story, village and producer.
-- FTS5 with the trigram tokenizer matches any substring of 3+ characters (土瑶茶, 蜂蜜水 …).
CREATE VIRTUAL TABLE `products_fts` USING fts5(title, story, village, producer, tokenize = 'trigram');
--> statement-breakpoint
CREATE TRIGGER `products_fts_ai` AFTER INSERT ON `products` BEGIN
  INSERT INTO `products_fts` (rowid, title, story, village, producer)
  SELECT NEW.id,
         NEW.title_zh || ' ' || coalesce(NEW.title_en, ''),
         NEW.description_zh || ' ' || NEW.story_zh || ' ' || coalesce(NEW.description_en, '') || ' ' || coalesce(NEW.story_en, ''),
         v.name_zh || ' ' || coalesce(v.name_en, ''),
         pr.name_zh || ' ' || coalesce(pr.name_en, '')
  FROM producers pr JOIN villages v ON v.id = pr.village_id
  WHERE pr.id = NEW.producer_id;
END;
--> statement-breakpoint
CREATE TRIGGER `products_fts_au` AFTER UPDATE OF title_zh, title_en, description_zh, description_en, story_zh, story_en, producer_id ON `products` BEGIN
  DELETE FROM `products_fts` WHERE rowid = OLD.id;
  INSERT INTO `products_fts` (rowid, title, story, village, producer)
  SELECT NEW.id,
         NEW.title_zh || ' ' || coalesce(NEW.title_en, ''),
         NEW.description_zh || ' ' || NEW.story_zh || ' ' || coalesce(NEW.description_en, '') || ' ' || coalesce(NEW.story_en, ''),
         v.name_zh || ' ' || coalesce(v.name_en, ''),
         pr.name_zh || ' ' || coalesce(pr.name_en, '')
  FROM producers pr JOIN villages v ON v.id = pr.village_id
  WHERE pr.id = NEW.producer_id;
END;
--> statement-breakpoint
CREATE TRIGGER `products_fts_ad` AFTER DELETE ON `products` BEGIN
  DELETE FROM `products_fts` WHERE rowid = OLD.id;
END;
--> statement-breakpoint
CREATE TRIGGER `producers_fts_au` AFTER UPDATE OF name_zh, name_en ON `producers` BEGIN
  UPDATE `products_fts` SET producer = NEW.name_zh || ' ' || coalesce(NEW.name_en, '')
  WHERE rowid IN (SELECT id FROM products WHERE producer_id = NEW.id);
END;
--> statement-breakpoint
CREATE TRIGGER `villages_fts_au` AFTER UPDATE OF name_zh, name_en ON `villages` BEGIN
  UPDATE `products_fts` SET village = NEW.name_zh || ' ' || coalesce(NEW.name_en, '')
  WHERE rowid IN (SELECT p.id FROM products p JOIN producers pr ON pr.id = p.producer_id WHERE pr.village_id = NEW.id);
END;
--> statement-breakpoint
-- The ledger is append-only: entries and transactions are never changed or removed.
CREATE TRIGGER `ledger_entries_no_update` BEFORE UPDATE ON `ledger_entries` BEGIN
  SELECT RAISE(ABORT, 'ledger_entries are append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `ledger_entries_no_delete` BEFORE DELETE ON `ledger_entries` BEGIN
  SELECT RAISE(ABORT, 'ledger_entries are append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `ledger_transactions_no_update` BEFORE UPDATE ON `ledger_transactions` BEGIN
  SELECT RAISE(ABORT, 'ledger_transactions are append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `ledger_transactions_no_delete` BEFORE DELETE ON `ledger_transactions` BEGIN
  SELECT RAISE(ABORT, 'ledger_transactions are append-only');
END;
--> statement-breakpoint
-- Split rules are history: a change is a new row.
CREATE TRIGGER `project_split_rules_no_update` BEFORE UPDATE ON `project_split_rules` BEGIN
  SELECT RAISE(ABORT, 'project_split_rules are append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `payouts_no_update` BEFORE UPDATE ON `payouts` BEGIN
  SELECT RAISE(ABORT, 'payouts are never edited; record a reversal');
END;
--> statement-breakpoint
CREATE TRIGGER `payouts_no_delete` BEFORE DELETE ON `payouts` BEGIN
  SELECT RAISE(ABORT, 'payouts are never deleted; record a reversal');
END;
