-- DropIndex
DROP INDEX "jobs_status_priority_created_at_idx";

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "promoted_at" TIMESTAMPTZ(3),
ADD COLUMN     "queue_rank" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "run_timeout_s" INTEGER NOT NULL DEFAULT 600;

-- CreateIndex
CREATE INDEX "jobs_status_queue_rank_created_at_id_idx" ON "jobs"("status", "queue_rank", "created_at", "id");

-- CreateIndex
CREATE INDEX "jobs_user_id_status_queue_rank_idx" ON "jobs"("user_id", "status", "queue_rank");

-- CreateIndex
CREATE INDEX "jobs_status_finished_at_idx" ON "jobs"("status", "finished_at");

-- CreateIndex
CREATE INDEX "jobs_started_at_idx" ON "jobs"("started_at");

