-- AlterTable
ALTER TABLE "engine_instances" ADD COLUMN     "engine_queue" INTEGER;

