-- What drizzle/'s custom SQLite migrations do with triggers and FTS5, as PostgreSQL says it.

-- The ledger is append-only (drizzle/0001, 0010, 0013): entries, transactions, payouts, reconciliation
-- notes and published checkpoints are never changed or removed; split rules are history (a change is
-- a new row). TRUNCATE, which row triggers do not see, is refused too.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "ledger_entries_no_update" BEFORE UPDATE ON "ledger_entries" FOR EACH ROW EXECUTE FUNCTION refuse_change('ledger_entries are append-only');
--> statement-breakpoint
CREATE TRIGGER "ledger_entries_no_delete" BEFORE DELETE ON "ledger_entries" FOR EACH ROW EXECUTE FUNCTION refuse_change('ledger_entries are append-only');
--> statement-breakpoint
CREATE TRIGGER "ledger_entries_no_truncate" BEFORE TRUNCATE ON "ledger_entries" FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('ledger_entries are append-only');
--> statement-breakpoint
CREATE TRIGGER "ledger_transactions_no_update" BEFORE UPDATE ON "ledger_transactions" FOR EACH ROW EXECUTE FUNCTION refuse_change('ledger_transactions are append-only');
--> statement-breakpoint
CREATE TRIGGER "ledger_transactions_no_delete" BEFORE DELETE ON "ledger_transactions" FOR EACH ROW EXECUTE FUNCTION refuse_change('ledger_transactions are append-only');
--> statement-breakpoint
CREATE TRIGGER "ledger_transactions_no_truncate" BEFORE TRUNCATE ON "ledger_transactions" FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('ledger_transactions are append-only');
--> statement-breakpoint
CREATE TRIGGER "project_split_rules_no_update" BEFORE UPDATE ON "project_split_rules" FOR EACH ROW EXECUTE FUNCTION refuse_change('project_split_rules are append-only');
--> statement-breakpoint
CREATE TRIGGER "payouts_no_update" BEFORE UPDATE ON "payouts" FOR EACH ROW EXECUTE FUNCTION refuse_change('payouts are never edited; record a reversal');
--> statement-breakpoint
CREATE TRIGGER "payouts_no_delete" BEFORE DELETE ON "payouts" FOR EACH ROW EXECUTE FUNCTION refuse_change('payouts are never deleted; record a reversal');
--> statement-breakpoint
CREATE TRIGGER "payouts_no_truncate" BEFORE TRUNCATE ON "payouts" FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('payouts are never deleted; record a reversal');
--> statement-breakpoint
CREATE TRIGGER "reconciliation_notes_no_update" BEFORE UPDATE ON "reconciliation_notes" FOR EACH ROW EXECUTE FUNCTION refuse_change('reconciliation_notes are append-only');
--> statement-breakpoint
CREATE TRIGGER "reconciliation_notes_no_delete" BEFORE DELETE ON "reconciliation_notes" FOR EACH ROW EXECUTE FUNCTION refuse_change('reconciliation_notes are append-only');
--> statement-breakpoint
CREATE TRIGGER "ledger_checkpoints_no_update" BEFORE UPDATE ON "ledger_checkpoints" FOR EACH ROW EXECUTE FUNCTION refuse_change('ledger_checkpoints are append-only');
--> statement-breakpoint
CREATE TRIGGER "ledger_checkpoints_no_delete" BEFORE DELETE ON "ledger_checkpoints" FOR EACH ROW EXECUTE FUNCTION refuse_change('ledger_checkpoints are append-only');
--> statement-breakpoint
-- Chinese search (drizzle/0001's FTS5 table with the trigram tokenizer): the same four texts per
-- product, kept by the same triggers, with pg_trgm's trigram indexes for substring matches
-- (LIKE '%土瑶茶%', and 1–2 character terms through the same indexes' scan) and similarity ranking.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE TABLE "products_search" (
	"id" bigint PRIMARY KEY NOT NULL REFERENCES "products" ("id") ON DELETE CASCADE,
	"title" text NOT NULL,
	"story" text NOT NULL,
	"village" text NOT NULL,
	"producer" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "products_search_title_trgm" ON "products_search" USING gin ("title" gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX "products_search_story_trgm" ON "products_search" USING gin ("story" gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX "products_search_village_trgm" ON "products_search" USING gin ("village" gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX "products_search_producer_trgm" ON "products_search" USING gin ("producer" gin_trgm_ops);
--> statement-breakpoint
CREATE FUNCTION products_search_index() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO products_search (id, title, story, village, producer)
  SELECT NEW.id,
         NEW.title_zh || ' ' || coalesce(NEW.title_en, ''),
         NEW.description_zh || ' ' || NEW.story_zh || ' ' || coalesce(NEW.description_en, '') || ' ' || coalesce(NEW.story_en, ''),
         v.name_zh || ' ' || coalesce(v.name_en, ''),
         pr.name_zh || ' ' || coalesce(pr.name_en, '')
  FROM producers pr JOIN villages v ON v.id = pr.village_id
  WHERE pr.id = NEW.producer_id
  ON CONFLICT (id) DO UPDATE SET title = excluded.title, story = excluded.story, village = excluded.village, producer = excluded.producer;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "products_search_ai" AFTER INSERT ON "products" FOR EACH ROW EXECUTE FUNCTION products_search_index();
--> statement-breakpoint
CREATE TRIGGER "products_search_au" AFTER UPDATE OF title_zh, title_en, description_zh, description_en, story_zh, story_en, producer_id ON "products" FOR EACH ROW EXECUTE FUNCTION products_search_index();
--> statement-breakpoint
CREATE FUNCTION products_search_producer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE products_search SET producer = NEW.name_zh || ' ' || coalesce(NEW.name_en, '')
  WHERE id IN (SELECT id FROM products WHERE producer_id = NEW.id);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "producers_search_au" AFTER UPDATE OF name_zh, name_en ON "producers" FOR EACH ROW EXECUTE FUNCTION products_search_producer();
--> statement-breakpoint
CREATE FUNCTION products_search_village() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE products_search SET village = NEW.name_zh || ' ' || coalesce(NEW.name_en, '')
  WHERE id IN (SELECT p.id FROM products p JOIN producers pr ON pr.id = p.producer_id WHERE pr.village_id = NEW.id);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "villages_search_au" AFTER UPDATE OF name_zh, name_en ON "villages" FOR EACH ROW EXECUTE FUNCTION products_search_village();
