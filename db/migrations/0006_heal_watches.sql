CREATE TABLE "heal_watches" (
	"signature" text PRIMARY KEY NOT NULL,
	"healed_at" timestamp with time zone NOT NULL,
	"healed_by" text NOT NULL,
	"heal_attempt" text NOT NULL,
	"recurred_at" timestamp with time zone,
	"episode" integer DEFAULT 0 NOT NULL,
	"episode_recurrences" integer DEFAULT 0 NOT NULL,
	"episode_alert_run" text
);
--> statement-breakpoint
ALTER TABLE "healing_patterns" ADD COLUMN "recurrences" integer DEFAULT 0 NOT NULL;