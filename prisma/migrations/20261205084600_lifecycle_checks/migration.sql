-- Lifecycle invariants as CHECKs (as River's `finalized_or_finalized_at_null`), so no writer (plpgsql,
-- packages/db/src/lifecycle, the worker, a hand-run UPDATE) can leave a job or image in a state the
-- lifecycle module says cannot exist (packages/db/src/lifecycle/index.ts lists them).
-- Hand-written: Prisma's schema language has no CHECK.
--
-- Existing rows are FIXED UP first, so the migration succeeds on any database written by earlier code:
-- a missing timestamp takes the row's last change (updated_at); a timestamp on a row that is not
-- terminal is cleared; credits still held by an ended job are refunded to its owner with a ledger entry,
-- as settling it would have; a negative hold (never written by any writer) is zeroed; an image marked
-- succeeded without a stored file is marked failed (internal), since nothing can be shown for it.

-- Jobs.
UPDATE "jobs" SET "finished_at" = "updated_at"
  WHERE "status" IN ('succeeded', 'failed', 'canceled') AND "finished_at" IS NULL;
UPDATE "jobs" SET "finished_at" = NULL
  WHERE "status" NOT IN ('succeeded', 'failed', 'canceled') AND "finished_at" IS NOT NULL;
UPDATE "jobs" SET "started_at" = "updated_at" WHERE "status" = 'running' AND "started_at" IS NULL;
DO $$
DECLARE
  held record;
  balance int;
BEGIN
  FOR held IN
    SELECT "id", "user_id", "credits_reserved" FROM "jobs"
    WHERE "status" IN ('succeeded', 'failed', 'canceled') AND "credits_reserved" > 0
    ORDER BY "id" FOR UPDATE
  LOOP
    UPDATE "users" SET "credit_balance" = "credit_balance" + held."credits_reserved", "updated_at" = now()
      WHERE "id" = held."user_id" RETURNING "credit_balance" INTO balance;
    INSERT INTO "credit_entries" ("user_id", "job_id", "kind", "amount", "balance_after", "note")
      VALUES (held."user_id", held."id", 'refund', held."credits_reserved", balance,
              'credits held by an ended job, released by the lifecycle_checks migration');
    UPDATE "jobs" SET "credits_reserved" = 0 WHERE "id" = held."id";
  END LOOP;
END $$;
UPDATE "jobs" SET "credits_reserved" = 0 WHERE "credits_reserved" < 0;

ALTER TABLE "jobs"
  ADD CONSTRAINT "jobs_finished_at_when_terminal"
    CHECK (("status" IN ('succeeded', 'failed', 'canceled')) = ("finished_at" IS NOT NULL)),
  ADD CONSTRAINT "jobs_started_at_when_running" CHECK ("status" <> 'running' OR "started_at" IS NOT NULL),
  ADD CONSTRAINT "jobs_credits_reserved_not_negative" CHECK ("credits_reserved" >= 0),
  ADD CONSTRAINT "jobs_credits_reserved_zero_when_terminal"
    CHECK ("status" NOT IN ('succeeded', 'failed', 'canceled') OR "credits_reserved" = 0),
  ADD CONSTRAINT "jobs_credits_charged_not_negative" CHECK ("credits_charged" >= 0),
  ADD CONSTRAINT "jobs_credit_price_not_negative" CHECK ("credit_price" >= 0),
  ADD CONSTRAINT "jobs_progress_percent" CHECK ("progress" BETWEEN 0 AND 100),
  ADD CONSTRAINT "jobs_num_images_positive" CHECK ("num_images" >= 1),
  ADD CONSTRAINT "jobs_attempts_not_negative" CHECK ("attempts" >= 0);

-- Images.
UPDATE "images" SET "status" = 'failed', "error_code" = 'internal',
    "error_message" = 'marked succeeded without a stored file; failed by the lifecycle_checks migration',
    "finished_at" = coalesce("finished_at", "updated_at")
  WHERE "status" = 'succeeded' AND "storage_key" IS NULL;
UPDATE "images" SET "finished_at" = "updated_at"
  WHERE "status" IN ('succeeded', 'failed', 'canceled') AND "finished_at" IS NULL;
UPDATE "images" SET "finished_at" = NULL
  WHERE "status" NOT IN ('succeeded', 'failed', 'canceled') AND "finished_at" IS NOT NULL;
UPDATE "images" SET "started_at" = "updated_at"
  WHERE "status" = 'running' AND "started_at" IS NULL;

ALTER TABLE "images"
  ADD CONSTRAINT "images_finished_at_when_terminal"
    CHECK (("status" IN ('succeeded', 'failed', 'canceled')) = ("finished_at" IS NOT NULL)),
  ADD CONSTRAINT "images_started_at_when_running" CHECK ("status" <> 'running' OR "started_at" IS NOT NULL),
  ADD CONSTRAINT "images_succeeded_has_file" CHECK ("status" <> 'succeeded' OR "storage_key" IS NOT NULL),
  ADD CONSTRAINT "images_attempts_not_negative" CHECK ("attempts" >= 0);
