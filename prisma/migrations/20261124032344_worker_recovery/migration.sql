-- AlterTable
ALTER TABLE "worker_heartbeats" ADD COLUMN     "graphile_worker_ids" TEXT[];

