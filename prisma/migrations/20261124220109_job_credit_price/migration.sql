-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "credit_price" INTEGER NOT NULL DEFAULT 0;

