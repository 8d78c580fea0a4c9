CREATE TABLE `household_consents` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`household_id` integer NOT NULL,
	`withdrawn` integer DEFAULT false NOT NULL,
	`name_public` integer NOT NULL,
	`story_public` integer NOT NULL,
	`photo_public` integer NOT NULL,
	`method` text NOT NULL,
	`form_media_id` integer,
	`witness_name` text,
	`given_on` text NOT NULL,
	`recorded_by_user_id` integer,
	`recorded_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`household_id`) REFERENCES `households`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`form_media_id`) REFERENCES `media`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`recorded_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "household_consents_method_ck" CHECK("household_consents"."method" IN ('paper_form','verbal','carried_over')),
	CONSTRAINT "household_consents_withdrawn_ck" CHECK("household_consents"."withdrawn" = false OR ("household_consents"."name_public" = false AND "household_consents"."story_public" = false AND "household_consents"."photo_public" = false)),
	CONSTRAINT "household_consents_form_ck" CHECK("household_consents"."method" <> 'paper_form' OR "household_consents"."form_media_id" IS NOT NULL),
	CONSTRAINT "household_consents_witness_ck" CHECK("household_consents"."method" <> 'verbal' OR "household_consents"."witness_name" IS NOT NULL),
	CONSTRAINT "household_consents_given_on_ck" CHECK("household_consents"."given_on" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')
);
--> statement-breakpoint
CREATE INDEX `household_consents_household_idx` ON `household_consents` (`household_id`,`id`);--> statement-breakpoint

-- Each household's earlier yes/no becomes its first consent record: it covered the display name
-- and the story (never photos), given on the day the household was last saved (China time).
INSERT INTO `household_consents` (`household_id`, `withdrawn`, `name_public`, `story_public`, `photo_public`, `method`, `given_on`, `recorded_at`)
SELECT `id`, 0, `consent_public`, `consent_public`, 0, 'carried_over', strftime('%Y-%m-%d', `updated_at` / 1000, 'unixepoch', '+8 hours'), `updated_at` FROM `households` ORDER BY `id`;
--> statement-breakpoint
-- Consent is history: a record is never changed or removed; a later record (or a withdrawal) follows it.
CREATE TRIGGER `household_consents_no_update` BEFORE UPDATE ON `household_consents` BEGIN
  SELECT RAISE(ABORT, 'household_consents are append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `household_consents_no_delete` BEFORE DELETE ON `household_consents` BEGIN
  SELECT RAISE(ABORT, 'household_consents are append-only');
END;
--> statement-breakpoint
-- A new record changes what the product, village, project, lot and /impact pages may show of the household.
CREATE TRIGGER `household_consents_cache_ai` AFTER INSERT ON `household_consents` BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
-- The households' page-cache trigger named consent_public: it is made again without it, before the column goes.
DROP TRIGGER `households_cache_au`;
--> statement-breakpoint
CREATE TRIGGER `households_cache_au` AFTER UPDATE OF village_id, display_name, public_story_zh, public_story_en ON `households` WHEN OLD.village_id IS NOT NEW.village_id OR OLD.display_name IS NOT NEW.display_name OR OLD.public_story_zh IS NOT NEW.public_story_zh OR OLD.public_story_en IS NOT NEW.public_story_en BEGIN
  INSERT INTO cache_versions (scope, version) VALUES ('places', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
  INSERT INTO cache_versions (scope, version) VALUES ('catalogue', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
ALTER TABLE `households` DROP COLUMN `consent_public`;