CREATE TABLE "notification_deliveries" (
	"notification_id" text NOT NULL,
	"channel" text NOT NULL,
	"recipient" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"provider_message_id" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notification_deliveries_notification_id_channel_recipient_pk" PRIMARY KEY("notification_id","channel","recipient")
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"notification_id" text PRIMARY KEY NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "notifications_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"decision" text NOT NULL,
	"signature" text NOT NULL,
	"workflow_id" text NOT NULL,
	"operation" text NOT NULL,
	"severity" text,
	"result" text,
	"occurrences" integer DEFAULT 1 NOT NULL,
	"recovers_notification_id" text,
	"subject" text NOT NULL,
	"body" text NOT NULL,
	"sms_body" text,
	"email_status" text NOT NULL,
	"email_reason" text,
	"sms_status" text NOT NULL,
	"sms_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notifications_recovers_notification_id_unique" UNIQUE("recovers_notification_id")
);
--> statement-breakpoint
ALTER TABLE "notification_deliveries" ADD CONSTRAINT "notification_deliveries_notification_id_notifications_notification_id_fk" FOREIGN KEY ("notification_id") REFERENCES "public"."notifications"("notification_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "notifications_signature_seq_idx" ON "notifications" USING btree ("signature","seq");--> statement-breakpoint
CREATE INDEX "notifications_workflow_id_idx" ON "notifications" USING btree ("workflow_id");