-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "webhook_events" TEXT[] DEFAULT ARRAY['job.finished']::TEXT[];

