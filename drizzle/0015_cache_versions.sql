-- Versions of what anonymous pages show, for the rendered-page cache (src/plugins/page-cache.ts).
-- Triggers bump them on the writes that change a shown figure, whichever process or connection makes
-- them; carts, sessions, sign-in attempts, audit rows, orders and the ledger bump nothing.
--   catalogue     anything any cached page shows except a product's exact stock (listings, home, villages, projects, wishes)
--   places        what a product page shows that is not the product's own (villages, producers, projects, households)
--   product:<id>  one product's own rows (the product, its photos, price tiers and lots), its stock as displayed
--   stock         any stock change (the JSON API gives the exact stock)
-- Stock as displayed: sold out, the count when at or below the product's low-stock threshold, else "in stock".
-- Plain INSERT … ON CONFLICT DO UPDATE: the same statements run on PostgreSQL.
CREATE TABLE `cache_versions` (
	`scope` text PRIMARY KEY NOT NULL,
	`version` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
INSERT INTO `cache_versions` (`scope`, `version`) VALUES ('catalogue', 1), ('places', 1), ('stock', 1);
--> statement-breakpoint
CREATE TRIGGER `products_cache_ai` AFTER INSERT ON `products` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('product:' || NEW.id, 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('stock', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `products_cache_au` AFTER UPDATE ON `products` WHEN OLD.slug IS NOT NEW.slug OR OLD.producer_id IS NOT NEW.producer_id OR OLD.project_id IS NOT NEW.project_id OR OLD.category IS NOT NEW.category OR OLD.unit IS NOT NEW.unit OR OLD.title_zh IS NOT NEW.title_zh OR OLD.title_en IS NOT NEW.title_en OR OLD.description_zh IS NOT NEW.description_zh OR OLD.description_en IS NOT NEW.description_en OR OLD.story_zh IS NOT NEW.story_zh OR OLD.story_en IS NOT NEW.story_en OR OLD.price_fen IS NOT NEW.price_fen OR OLD.min_order_qty IS NOT NEW.min_order_qty OR OLD.max_retail_qty IS NOT NEW.max_retail_qty OR OLD.published IS NOT NEW.published OR OLD.featured IS NOT NEW.featured OR OLD.created_at IS NOT NEW.created_at OR (CASE WHEN OLD.stock <= 0 THEN -1 WHEN OLD.stock <= OLD.low_stock_threshold THEN OLD.stock ELSE -2 END) IS NOT (CASE WHEN NEW.stock <= 0 THEN -1 WHEN NEW.stock <= NEW.low_stock_threshold THEN NEW.stock ELSE -2 END) BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('product:' || NEW.id, 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `products_stock_au` AFTER UPDATE OF stock ON `products` WHEN OLD.stock IS NOT NEW.stock BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('stock', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `products_cache_ad` AFTER DELETE ON `products` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('product:' || OLD.id, 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('stock', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `product_photos_cache_ai` AFTER INSERT ON `product_photos` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('product:' || NEW.product_id, 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `product_photos_cache_au` AFTER UPDATE ON `product_photos` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('product:' || OLD.product_id, 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('product:' || NEW.product_id, 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `product_photos_cache_ad` AFTER DELETE ON `product_photos` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('product:' || OLD.product_id, 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `price_tiers_cache_ai` AFTER INSERT ON `price_tiers` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('product:' || NEW.product_id, 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `price_tiers_cache_au` AFTER UPDATE ON `price_tiers` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('product:' || OLD.product_id, 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('product:' || NEW.product_id, 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `price_tiers_cache_ad` AFTER DELETE ON `price_tiers` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('product:' || OLD.product_id, 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `lots_cache_ai` AFTER INSERT ON `lots` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('product:' || NEW.product_id, 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `lots_cache_au` AFTER UPDATE ON `lots` WHEN OLD.product_id IS NOT NEW.product_id OR OLD.code IS NOT NEW.code OR OLD.harvested_on IS NOT NEW.harvested_on OR OLD.quantity IS NOT NEW.quantity OR OLD.notes IS NOT NEW.notes OR OLD.certificate_media_id IS NOT NEW.certificate_media_id OR OLD.recalled_at IS NOT NEW.recalled_at OR OLD.recall_reason IS NOT NEW.recall_reason BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('product:' || OLD.product_id, 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('product:' || NEW.product_id, 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `lots_cache_ad` AFTER DELETE ON `lots` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('product:' || OLD.product_id, 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `villages_cache_ai` AFTER INSERT ON `villages` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `villages_cache_au` AFTER UPDATE ON `villages` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `villages_cache_ad` AFTER DELETE ON `villages` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `regions_cache_ai` AFTER INSERT ON `regions` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `regions_cache_au` AFTER UPDATE ON `regions` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `regions_cache_ad` AFTER DELETE ON `regions` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `producers_cache_ai` AFTER INSERT ON `producers` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `producers_cache_au` AFTER UPDATE ON `producers` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `producers_cache_ad` AFTER DELETE ON `producers` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `projects_cache_ai` AFTER INSERT ON `projects` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `projects_cache_au` AFTER UPDATE ON `projects` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `projects_cache_ad` AFTER DELETE ON `projects` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `project_split_rules_cache_ai` AFTER INSERT ON `project_split_rules` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `project_split_rules_cache_au` AFTER UPDATE ON `project_split_rules` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `project_split_rules_cache_ad` AFTER DELETE ON `project_split_rules` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `producer_members_cache_ai` AFTER INSERT ON `producer_members` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `producer_members_cache_au` AFTER UPDATE ON `producer_members` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `producer_members_cache_ad` AFTER DELETE ON `producer_members` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `project_households_cache_ai` AFTER INSERT ON `project_households` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `project_households_cache_au` AFTER UPDATE ON `project_households` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `project_households_cache_ad` AFTER DELETE ON `project_households` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `lot_households_cache_ai` AFTER INSERT ON `lot_households` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `lot_households_cache_au` AFTER UPDATE ON `lot_households` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `lot_households_cache_ad` AFTER DELETE ON `lot_households` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `wishes_cache_ai` AFTER INSERT ON `wishes` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `wishes_cache_au` AFTER UPDATE ON `wishes` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `wishes_cache_ad` AFTER DELETE ON `wishes` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `households_cache_ai` AFTER INSERT ON `households` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `households_cache_au` AFTER UPDATE OF village_id, display_name, public_story_zh, public_story_en, consent_public ON `households` WHEN OLD.village_id IS NOT NEW.village_id OR OLD.display_name IS NOT NEW.display_name OR OLD.public_story_zh IS NOT NEW.public_story_zh OR OLD.public_story_en IS NOT NEW.public_story_en OR OLD.consent_public IS NOT NEW.consent_public BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `households_cache_ad` AFTER DELETE ON `households` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
