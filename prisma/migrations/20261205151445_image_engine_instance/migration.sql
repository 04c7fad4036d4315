-- AlterTable
ALTER TABLE "images" ADD COLUMN     "engine_instance" TEXT;

