CREATE TABLE "learned_outcomes" (
	"outcome_id" text PRIMARY KEY NOT NULL,
	"learned_at" timestamp with time zone DEFAULT now() NOT NULL
);
