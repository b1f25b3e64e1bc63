CREATE TABLE "healing_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"event_key" text NOT NULL,
	"operation" text NOT NULL,
	"error_class" text NOT NULL,
	"error_message" text NOT NULL,
	"error_stack" text,
	"error_code" text,
	"signature" text NOT NULL,
	"category" text,
	"severity" text,
	"diagnosis" jsonb,
	"diagnosis_source" text,
	"strategy" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"attempt_log" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"result" text DEFAULT 'pending' NOT NULL,
	"healing_duration_ms" integer,
	"workflow_id" text,
	"run_id" text,
	"context" jsonb,
	"detected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "healing_events_event_key_unique" UNIQUE("event_key")
);
--> statement-breakpoint
CREATE TABLE "healing_patterns" (
	"signature" text NOT NULL,
	"strategy" text NOT NULL,
	"category" text,
	"success_count" integer DEFAULT 0 NOT NULL,
	"failure_count" integer DEFAULT 0 NOT NULL,
	"total_healing_ms" bigint DEFAULT 0 NOT NULL,
	"avg_healing_ms" double precision,
	"confidence" double precision DEFAULT 0 NOT NULL,
	"diagnosis" jsonb,
	"last_seen" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "healing_patterns_signature_strategy_pk" PRIMARY KEY("signature","strategy")
);
--> statement-breakpoint
CREATE TABLE "system_health_checks" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "system_health_checks_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"check_name" text NOT NULL,
	"status" text NOT NULL,
	"latency_ms" integer,
	"details" jsonb,
	"error" text,
	"checked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "healing_events_detected_at_idx" ON "healing_events" USING btree ("detected_at");--> statement-breakpoint
CREATE INDEX "healing_events_signature_detected_at_idx" ON "healing_events" USING btree ("signature","detected_at");--> statement-breakpoint
CREATE INDEX "healing_events_operation_idx" ON "healing_events" USING btree ("operation");--> statement-breakpoint
CREATE INDEX "healing_events_category_idx" ON "healing_events" USING btree ("category");--> statement-breakpoint
CREATE INDEX "healing_events_severity_idx" ON "healing_events" USING btree ("severity");--> statement-breakpoint
CREATE INDEX "healing_events_result_idx" ON "healing_events" USING btree ("result");--> statement-breakpoint
CREATE INDEX "healing_events_workflow_id_idx" ON "healing_events" USING btree ("workflow_id");--> statement-breakpoint
CREATE INDEX "system_health_checks_name_checked_at_idx" ON "system_health_checks" USING btree ("check_name","checked_at" DESC NULLS LAST);