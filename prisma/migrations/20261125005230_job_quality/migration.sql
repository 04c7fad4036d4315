-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "quality" TEXT;

