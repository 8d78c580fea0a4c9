-- Versions of what anonymous pages show, for the rendered-page cache (src/plugins/page-cache.ts): the
-- PostgreSQL twin of drizzle/0015_cache_versions.sql and 0016 (what each scope means is said there).
-- The same triggers on the same writes bump the same scopes, so every app server on this database
-- sees a change made by any of them. They are constraint triggers deferred to the commit: the
-- version rows every writer bumps are locked only for the moment of the commit, after the unit's
-- own row locks, instead of from the first change to the end of the transaction.
CREATE TABLE "cache_versions" (
	"scope" text PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
INSERT INTO "cache_versions" ("scope", "version") VALUES ('catalogue', 1), ('places', 1), ('stock', 1), ('figures', 1);
--> statement-breakpoint
-- Bumps each scope named in the trigger's arguments; 'product:new.id' or 'product:old.product_id'
-- names one product's scope by a column of the new or old row.
CREATE FUNCTION cache_versions_bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  arg text;
  target text;
BEGIN
  FOREACH arg IN ARRAY TG_ARGV LOOP
    IF arg LIKE 'product:new.%' THEN
      target := 'product:' || (to_jsonb(NEW) ->> substr(arg, 13));
    ELSIF arg LIKE 'product:old.%' THEN
      target := 'product:' || (to_jsonb(OLD) ->> substr(arg, 13));
    ELSE
      target := arg;
    END IF;
    INSERT INTO cache_versions (scope, version) VALUES (target, 1)
      ON CONFLICT ON CONSTRAINT cache_versions_pkey DO UPDATE SET version = cache_versions.version + 1;
  END LOOP;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "products_cache_ai" AFTER INSERT ON "products" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('product:new.id', 'catalogue', 'stock');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "products_cache_au" AFTER UPDATE ON "products" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.slug IS DISTINCT FROM NEW.slug OR OLD.producer_id IS DISTINCT FROM NEW.producer_id OR OLD.project_id IS DISTINCT FROM NEW.project_id OR OLD.category IS DISTINCT FROM NEW.category OR OLD.unit IS DISTINCT FROM NEW.unit OR OLD.title_zh IS DISTINCT FROM NEW.title_zh OR OLD.title_en IS DISTINCT FROM NEW.title_en OR OLD.description_zh IS DISTINCT FROM NEW.description_zh OR OLD.description_en IS DISTINCT FROM NEW.description_en OR OLD.story_zh IS DISTINCT FROM NEW.story_zh OR OLD.story_en IS DISTINCT FROM NEW.story_en OR OLD.price_fen IS DISTINCT FROM NEW.price_fen OR OLD.min_order_qty IS DISTINCT FROM NEW.min_order_qty OR OLD.max_retail_qty IS DISTINCT FROM NEW.max_retail_qty OR OLD.published IS DISTINCT FROM NEW.published OR OLD.featured IS DISTINCT FROM NEW.featured OR OLD.created_at IS DISTINCT FROM NEW.created_at OR (CASE WHEN OLD.stock <= 0 THEN -1 WHEN OLD.stock <= OLD.low_stock_threshold THEN OLD.stock ELSE -2 END) IS DISTINCT FROM (CASE WHEN NEW.stock <= 0 THEN -1 WHEN NEW.stock <= NEW.low_stock_threshold THEN NEW.stock ELSE -2 END)) EXECUTE FUNCTION cache_versions_bump('product:new.id', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "products_stock_au" AFTER UPDATE OF stock ON "products" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.stock IS DISTINCT FROM NEW.stock) EXECUTE FUNCTION cache_versions_bump('stock');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "products_cache_ad" AFTER DELETE ON "products" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('product:old.id', 'catalogue', 'stock');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "product_photos_cache_ai" AFTER INSERT ON "product_photos" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('product:new.product_id', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "product_photos_cache_au" AFTER UPDATE ON "product_photos" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('product:old.product_id', 'catalogue', 'product:new.product_id');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "product_photos_cache_ad" AFTER DELETE ON "product_photos" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('product:old.product_id', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "price_tiers_cache_ai" AFTER INSERT ON "price_tiers" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('product:new.product_id', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "price_tiers_cache_au" AFTER UPDATE ON "price_tiers" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('product:old.product_id', 'catalogue', 'product:new.product_id');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "price_tiers_cache_ad" AFTER DELETE ON "price_tiers" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('product:old.product_id', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "lots_cache_ai" AFTER INSERT ON "lots" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('product:new.product_id', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "lots_cache_au" AFTER UPDATE ON "lots" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.product_id IS DISTINCT FROM NEW.product_id OR OLD.code IS DISTINCT FROM NEW.code OR OLD.harvested_on IS DISTINCT FROM NEW.harvested_on OR OLD.quantity IS DISTINCT FROM NEW.quantity OR OLD.notes IS DISTINCT FROM NEW.notes OR OLD.certificate_media_id IS DISTINCT FROM NEW.certificate_media_id OR OLD.recalled_at IS DISTINCT FROM NEW.recalled_at OR OLD.recall_reason IS DISTINCT FROM NEW.recall_reason) EXECUTE FUNCTION cache_versions_bump('product:old.product_id', 'catalogue', 'product:new.product_id');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "lots_cache_ad" AFTER DELETE ON "lots" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('product:old.product_id', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "villages_cache_ai" AFTER INSERT ON "villages" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "villages_cache_au" AFTER UPDATE ON "villages" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "villages_cache_ad" AFTER DELETE ON "villages" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "regions_cache_ai" AFTER INSERT ON "regions" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "regions_cache_au" AFTER UPDATE ON "regions" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "regions_cache_ad" AFTER DELETE ON "regions" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "producers_cache_ai" AFTER INSERT ON "producers" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "producers_cache_au" AFTER UPDATE ON "producers" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "producers_cache_ad" AFTER DELETE ON "producers" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "projects_cache_ai" AFTER INSERT ON "projects" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "projects_cache_au" AFTER UPDATE ON "projects" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "projects_cache_ad" AFTER DELETE ON "projects" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "project_split_rules_cache_ai" AFTER INSERT ON "project_split_rules" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "project_split_rules_cache_au" AFTER UPDATE ON "project_split_rules" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "project_split_rules_cache_ad" AFTER DELETE ON "project_split_rules" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "producer_members_cache_ai" AFTER INSERT ON "producer_members" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "producer_members_cache_au" AFTER UPDATE ON "producer_members" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "producer_members_cache_ad" AFTER DELETE ON "producer_members" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "project_households_cache_ai" AFTER INSERT ON "project_households" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "project_households_cache_au" AFTER UPDATE ON "project_households" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "project_households_cache_ad" AFTER DELETE ON "project_households" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "lot_households_cache_ai" AFTER INSERT ON "lot_households" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "lot_households_cache_au" AFTER UPDATE ON "lot_households" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "lot_households_cache_ad" AFTER DELETE ON "lot_households" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "wishes_cache_ai" AFTER INSERT ON "wishes" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "wishes_cache_au" AFTER UPDATE ON "wishes" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "wishes_cache_ad" AFTER DELETE ON "wishes" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "households_cache_ai" AFTER INSERT ON "households" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "households_cache_au" AFTER UPDATE OF village_id, display_name, public_story_zh, public_story_en, consent_public ON "households" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.village_id IS DISTINCT FROM NEW.village_id OR OLD.display_name IS DISTINCT FROM NEW.display_name OR OLD.public_story_zh IS DISTINCT FROM NEW.public_story_zh OR OLD.public_story_en IS DISTINCT FROM NEW.public_story_en OR OLD.consent_public IS DISTINCT FROM NEW.consent_public) EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "households_cache_ad" AFTER DELETE ON "households" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('places', 'catalogue');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "ledger_transactions_cache_ai" AFTER INSERT ON "ledger_transactions" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_versions_bump('figures');
