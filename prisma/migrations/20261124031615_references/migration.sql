-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "search" tsvector;

-- AlterTable
ALTER TABLE "images" ADD COLUMN     "palette" JSONB;

-- CreateTable
CREATE TABLE "references" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "storage_key" TEXT NOT NULL,
    "mime" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "bytes" INTEGER NOT NULL,
    "tags" TEXT[],
    "description" TEXT NOT NULL DEFAULT '',
    "palette" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "search" tsvector,

    CONSTRAINT "references_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "references_user_id_created_at_idx" ON "references"("user_id", "created_at");

-- CreateIndex
CREATE INDEX "references_search_idx" ON "references" USING GIN ("search");

-- CreateIndex
CREATE INDEX "jobs_search_idx" ON "jobs" USING GIN ("search");

-- AddForeignKey
ALTER TABLE "references" ADD CONSTRAINT "references_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Written by hand (Prisma cannot express triggers): keep the search vectors current.
CREATE FUNCTION "jobs_search_update"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."search" := to_tsvector('english', coalesce(NEW."prompt", '') || ' ' || coalesce(NEW."style", '') || ' ' || replace(coalesce(NEW."preset", ''), '-', ' '));
  RETURN NEW;
END $$;
CREATE TRIGGER "jobs_search_update" BEFORE INSERT OR UPDATE OF "prompt", "style", "preset" ON "jobs"
  FOR EACH ROW EXECUTE FUNCTION "jobs_search_update"();
UPDATE "jobs" SET "prompt" = "prompt";

CREATE FUNCTION "references_search_update"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."search" := to_tsvector('english', array_to_string(NEW."tags", ' ') || ' ' || coalesce(NEW."description", ''));
  RETURN NEW;
END $$;
CREATE TRIGGER "references_search_update" BEFORE INSERT OR UPDATE OF "tags", "description" ON "references"
  FOR EACH ROW EXECUTE FUNCTION "references_search_update"();
