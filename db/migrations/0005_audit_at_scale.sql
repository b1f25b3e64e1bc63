-- Index builds are written CREATE INDEX IF NOT EXISTS: on PostgreSQL, db/online-indexes.ts builds
-- them CONCURRENTLY before this (transactional) migration runs, which then finds them and does nothing.
CREATE INDEX IF NOT EXISTS "healing_events_detected_at_id_idx" ON "healing_events" USING btree ("detected_at","id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "healing_events_signature_detected_at_id_idx" ON "healing_events" USING btree ("signature","detected_at","id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "healing_events_operation_detected_at_id_idx" ON "healing_events" USING btree ("operation","detected_at","id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "healing_events_category_detected_at_id_idx" ON "healing_events" USING btree ("category","detected_at","id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "healing_events_severity_detected_at_id_idx" ON "healing_events" USING btree ("severity","detected_at","id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "healing_events_result_detected_at_id_idx" ON "healing_events" USING btree ("result","detected_at","id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "system_health_checks_checked_at_id_idx" ON "system_health_checks" USING btree ("checked_at","id");--> statement-breakpoint
DROP INDEX IF EXISTS "healing_events_detected_at_idx";--> statement-breakpoint
DROP INDEX IF EXISTS "healing_events_signature_detected_at_idx";--> statement-breakpoint
DROP INDEX IF EXISTS "healing_events_operation_idx";--> statement-breakpoint
DROP INDEX IF EXISTS "healing_events_category_idx";--> statement-breakpoint
DROP INDEX IF EXISTS "healing_events_severity_idx";--> statement-breakpoint
DROP INDEX IF EXISTS "healing_events_result_idx";--> statement-breakpoint
CREATE TABLE "healing_event_hours" (
	"hour" timestamp with time zone NOT NULL,
	"category" text,
	"strategy" text,
	"result" text NOT NULL,
	"events" integer DEFAULT 0 NOT NULL,
	"healed_ms" double precision DEFAULT 0 NOT NULL,
	"healed_timed" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "healing_event_hours_key" UNIQUE NULLS NOT DISTINCT("hour","category","strategy","result")
);
--> statement-breakpoint
-- Adds one event's contribution (sign 1) or removes it (sign -1). Hours are UTC.
CREATE FUNCTION "healing_event_hours_add"(e "healing_events", sign integer) RETURNS void LANGUAGE sql AS $$
  INSERT INTO "healing_event_hours" AS h ("hour", "category", "strategy", "result", "events", "healed_ms", "healed_timed")
  SELECT date_bin('1 hour', e.detected_at, timestamptz '2000-01-01 00:00:00+00'), e.category, e.strategy, e.result,
    sign, coalesce(sign * healed_ms, 0), CASE WHEN healed_ms IS NULL THEN 0 ELSE sign END
  FROM (SELECT CASE WHEN e.result = 'healed'
    THEN coalesce(e.healing_duration_ms, extract(epoch FROM (e.resolved_at - e.detected_at)) * 1000) END AS healed_ms) d
  ON CONFLICT ("hour", "category", "strategy", "result") DO UPDATE SET
    "events" = h."events" + excluded."events",
    "healed_ms" = h."healed_ms" + excluded."healed_ms",
    "healed_timed" = h."healed_timed" + excluded."healed_timed";
$$;
--> statement-breakpoint
-- An update moves the event from its old combination to its new one. The two rows are locked in
-- one order (old before new only when it sorts first), so two opposite moves cannot deadlock.
CREATE FUNCTION "healing_event_hours_count"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM "healing_event_hours_add"(NEW, 1);
  ELSIF (OLD.detected_at, coalesce(OLD.category, ''), coalesce(OLD.strategy, ''), OLD.result)
      < (NEW.detected_at, coalesce(NEW.category, ''), coalesce(NEW.strategy, ''), NEW.result) THEN
    PERFORM "healing_event_hours_add"(OLD, -1);
    PERFORM "healing_event_hours_add"(NEW, 1);
  ELSE
    PERFORM "healing_event_hours_add"(NEW, 1);
    PERFORM "healing_event_hours_add"(OLD, -1);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- Counts the events there are now (counts of pruned events are lost): the migration's backfill,
-- and a repair after a bulk load made with the triggers off.
CREATE FUNCTION "healing_event_hours_rebuild"() RETURNS void LANGUAGE sql AS $$
  DELETE FROM "healing_event_hours";
  INSERT INTO "healing_event_hours" ("hour", "category", "strategy", "result", "events", "healed_ms", "healed_timed")
  SELECT date_bin('1 hour', detected_at, timestamptz '2000-01-01 00:00:00+00'), category, strategy, result, count(*),
    coalesce(sum(healed_ms), 0), count(healed_ms)
  FROM (SELECT *, CASE WHEN result = 'healed'
    THEN coalesce(healing_duration_ms, extract(epoch FROM (resolved_at - detected_at)) * 1000) END AS healed_ms
    FROM "healing_events") e
  GROUP BY 1, 2, 3, 4;
$$;
--> statement-breakpoint
-- Writers wait while the existing events are counted (readers do not), so none is counted twice or missed.
LOCK TABLE "healing_events" IN SHARE ROW EXCLUSIVE MODE;
--> statement-breakpoint
SELECT "healing_event_hours_rebuild"();
--> statement-breakpoint
-- Deletes (retention) do not subtract: the counts outlive the events.
CREATE TRIGGER "healing_event_hours_on_insert" AFTER INSERT ON "healing_events"
  FOR EACH ROW EXECUTE FUNCTION "healing_event_hours_count"();
--> statement-breakpoint
CREATE TRIGGER "healing_event_hours_on_update"
  AFTER UPDATE OF "detected_at", "category", "strategy", "result", "healing_duration_ms", "resolved_at" ON "healing_events"
  FOR EACH ROW WHEN (
    (OLD.detected_at, OLD.category, OLD.strategy, OLD.result, OLD.healing_duration_ms, OLD.resolved_at)
    IS DISTINCT FROM (NEW.detected_at, NEW.category, NEW.strategy, NEW.result, NEW.healing_duration_ms, NEW.resolved_at)
  ) EXECUTE FUNCTION "healing_event_hours_count"();
--> statement-breakpoint
-- Bumped by every statement that writes the audit tables: the dashboard's polls compare its
-- last_value (one read, no scan) to answer 304 Not Modified when nothing was written.
CREATE SEQUENCE "audit_changes";
--> statement-breakpoint
CREATE FUNCTION "audit_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM nextval('audit_changes');
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "healing_events_changed" AFTER INSERT OR UPDATE OR DELETE ON "healing_events"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_changed"();
--> statement-breakpoint
CREATE TRIGGER "system_health_checks_changed" AFTER INSERT OR UPDATE OR DELETE ON "system_health_checks"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_changed"();
