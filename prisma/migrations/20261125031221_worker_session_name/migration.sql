-- AlterTable
ALTER TABLE "worker_heartbeats" ADD COLUMN     "session_name" TEXT;

