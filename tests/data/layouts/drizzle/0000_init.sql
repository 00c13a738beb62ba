CREATE TABLE IF NOT EXISTS "posts" (
	"id" serial PRIMARY KEY NOT NULL,
	"title" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "comments" (
	"id" serial PRIMARY KEY NOT NULL,
	"post_id" integer
)
--> statement-breakpoint
ALTER TABLE "comments" ADD CONSTRAINT "comments_post_id_fk" FOREIGN KEY ("post_id") REFERENCES "posts"("id");
