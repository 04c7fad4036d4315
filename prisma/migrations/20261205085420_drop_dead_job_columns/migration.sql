-- jobs.max_attempts and jobs.params were written at insert and read by nothing (graphile-worker's own
-- max_attempts, from core's task catalog, bounds a job's runs; no provider knob ever used params).
-- AlterTable
ALTER TABLE "jobs" DROP COLUMN "max_attempts",
DROP COLUMN "params";

