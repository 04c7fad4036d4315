-- CreateIndex
CREATE INDEX "jobs_user_id_finished_at_idx" ON "jobs"("user_id", "finished_at" DESC);

