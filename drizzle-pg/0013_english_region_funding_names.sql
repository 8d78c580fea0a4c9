ALTER TABLE "projects" ADD COLUMN "funding_source_en" text;--> statement-breakpoint
ALTER TABLE "regions" ADD COLUMN "city_en" text;--> statement-breakpoint
ALTER TABLE "regions" ADD COLUMN "county_en" text;--> statement-breakpoint
ALTER TABLE "regions" ADD COLUMN "township_en" text;