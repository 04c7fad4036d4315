-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "output_format" TEXT NOT NULL DEFAULT 'png';

-- AlterTable
ALTER TABLE "images" ADD COLUMN     "provider" TEXT;

