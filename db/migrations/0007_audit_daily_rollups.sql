-- Built CONCURRENTLY by db/online-indexes.ts on PostgreSQL before this migration runs (see 0005).
CREATE INDEX IF NOT EXISTS "healing_events_severity_category_result_detected_at_id_idx" ON "healing_events" USING btree ("severity","category","result","detected_at","id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "healing_events_signature_result_detected_at_id_idx" ON "healing_events" USING btree ("signature","result","detected_at","id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "healing_events_operation_result_detected_at_id_idx" ON "healing_events" USING btree ("operation","result","detected_at","id");--> statement-breakpoint
-- Replaced by the two above (an exclusive lock for a moment: see docs/audit-trail.md).
DROP INDEX IF EXISTS "healing_events_signature_detected_at_id_idx";--> statement-breakpoint
DROP INDEX IF EXISTS "healing_events_operation_detected_at_id_idx";--> statement-breakpoint
CREATE TABLE "healing_event_days" (
	"day" timestamp with time zone NOT NULL,
	"category" text,
	"strategy" text,
	"result" text NOT NULL,
	"events" integer DEFAULT 0 NOT NULL,
	"healed_ms" double precision DEFAULT 0 NOT NULL,
	"healed_timed" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "healing_event_days_key" UNIQUE NULLS NOT DISTINCT("day","category","strategy","result")
);
--> statement-breakpoint
CREATE TABLE "healing_event_hour_totals" (
	"hour" timestamp with time zone PRIMARY KEY NOT NULL,
	"events" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
-- Writers wait from here to the commit (readers do not): the new triggers and the backfill below
-- see the same events, so none is counted twice or missed. The backfill reads the hourly rollup
-- only (one row per hour and combination), so the wait does not grow with the events, and the
-- counts of events already pruned carry over.
LOCK TABLE "healing_events" IN SHARE ROW EXCLUSIVE MODE;
--> statement-breakpoint
-- One event's contribution (sign 1) or its removal (sign -1), now in the day rollup too (UTC days).
-- The hour row is locked before the day row, in every call.
CREATE OR REPLACE FUNCTION "healing_event_hours_add"(e "healing_events", sign integer) RETURNS void LANGUAGE sql AS $$
  INSERT INTO "healing_event_hours" AS h ("hour", "category", "strategy", "result", "events", "healed_ms", "healed_timed")
  SELECT date_bin('1 hour', e.detected_at, timestamptz '2000-01-01 00:00:00+00'), e.category, e.strategy, e.result,
    sign, coalesce(sign * healed_ms, 0), CASE WHEN healed_ms IS NULL THEN 0 ELSE sign END
  FROM (SELECT CASE WHEN e.result = 'healed'
    THEN coalesce(e.healing_duration_ms, extract(epoch FROM (e.resolved_at - e.detected_at)) * 1000) END AS healed_ms) d
  ON CONFLICT ("hour", "category", "strategy", "result") DO UPDATE SET
    "events" = h."events" + excluded."events",
    "healed_ms" = h."healed_ms" + excluded."healed_ms",
    "healed_timed" = h."healed_timed" + excluded."healed_timed";
  INSERT INTO "healing_event_days" AS y ("day", "category", "strategy", "result", "events", "healed_ms", "healed_timed")
  SELECT date_bin('1 day', e.detected_at, timestamptz '2000-01-01 00:00:00+00'), e.category, e.strategy, e.result,
    sign, coalesce(sign * healed_ms, 0), CASE WHEN healed_ms IS NULL THEN 0 ELSE sign END
  FROM (SELECT CASE WHEN e.result = 'healed'
    THEN coalesce(e.healing_duration_ms, extract(epoch FROM (e.resolved_at - e.detected_at)) * 1000) END AS healed_ms) d
  ON CONFLICT ("day", "category", "strategy", "result") DO UPDATE SET
    "events" = y."events" + excluded."events",
    "healed_ms" = y."healed_ms" + excluded."healed_ms",
    "healed_timed" = y."healed_timed" + excluded."healed_timed";
$$;
--> statement-breakpoint
-- The hourly chart's totals: an event enters its hour when recorded, and moves only if its
-- detected_at does (the project never changes it, but a manual fix may).
CREATE FUNCTION "healing_event_hour_totals_add"(at timestamptz, sign integer) RETURNS void LANGUAGE sql AS $$
  INSERT INTO "healing_event_hour_totals" AS t ("hour", "events")
  VALUES (date_bin('1 hour', at, timestamptz '2000-01-01 00:00:00+00'), sign)
  ON CONFLICT ("hour") DO UPDATE SET "events" = t."events" + excluded."events";
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "healing_event_hours_count"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM "healing_event_hours_add"(NEW, 1);
    PERFORM "healing_event_hour_totals_add"(NEW.detected_at, 1);
    RETURN NULL;
  END IF;
  -- The two combinations are locked in one order (old before new only when it sorts first), so two
  -- opposite moves cannot deadlock.
  IF (OLD.detected_at, coalesce(OLD.category, ''), coalesce(OLD.strategy, ''), OLD.result)
      < (NEW.detected_at, coalesce(NEW.category, ''), coalesce(NEW.strategy, ''), NEW.result) THEN
    PERFORM "healing_event_hours_add"(OLD, -1);
    PERFORM "healing_event_hours_add"(NEW, 1);
  ELSE
    PERFORM "healing_event_hours_add"(NEW, 1);
    PERFORM "healing_event_hours_add"(OLD, -1);
  END IF;
  IF OLD.detected_at <> NEW.detected_at THEN
    PERFORM "healing_event_hour_totals_add"(least(OLD.detected_at, NEW.detected_at),
      CASE WHEN OLD.detected_at < NEW.detected_at THEN -1 ELSE 1 END);
    PERFORM "healing_event_hour_totals_add"(greatest(OLD.detected_at, NEW.detected_at),
      CASE WHEN OLD.detected_at < NEW.detected_at THEN 1 ELSE -1 END);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- The day rollup and the hourly totals from the hourly rollup (they keep what it kept).
CREATE FUNCTION "healing_event_days_rebuild"() RETURNS void LANGUAGE sql AS $$
  DELETE FROM "healing_event_days";
  INSERT INTO "healing_event_days" ("day", "category", "strategy", "result", "events", "healed_ms", "healed_timed")
  SELECT date_bin('1 day', hour, timestamptz '2000-01-01 00:00:00+00'), category, strategy, result, sum(events),
    sum(healed_ms), sum(healed_timed)
  FROM "healing_event_hours"
  GROUP BY 1, 2, 3, 4;
  DELETE FROM "healing_event_hour_totals";
  INSERT INTO "healing_event_hour_totals" ("hour", "events")
  SELECT hour, sum(events) FROM "healing_event_hours" GROUP BY hour;
$$;
--> statement-breakpoint
SELECT "healing_event_days_rebuild"();
--> statement-breakpoint
-- Counts the events there are now, in all three rollups (counts of pruned events are lost): a
-- repair after a bulk load made with the triggers off.
CREATE OR REPLACE FUNCTION "healing_event_hours_rebuild"() RETURNS void LANGUAGE sql AS $$
  DELETE FROM "healing_event_hours";
  INSERT INTO "healing_event_hours" ("hour", "category", "strategy", "result", "events", "healed_ms", "healed_timed")
  SELECT date_bin('1 hour', detected_at, timestamptz '2000-01-01 00:00:00+00'), category, strategy, result, count(*),
    coalesce(sum(healed_ms), 0), count(healed_ms)
  FROM (SELECT *, CASE WHEN result = 'healed'
    THEN coalesce(healing_duration_ms, extract(epoch FROM (resolved_at - detected_at)) * 1000) END AS healed_ms
    FROM "healing_events") e
  GROUP BY 1, 2, 3, 4;
  SELECT "healing_event_days_rebuild"();
$$;
