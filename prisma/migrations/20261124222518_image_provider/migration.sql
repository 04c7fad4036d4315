-- AlterTable
ALTER TABLE "images" ADD COLUMN     "provider" TEXT;

