ALTER TABLE "posts" ADD COLUMN "tags" text[];--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "posts_title_idx" ON "posts" ("title");
