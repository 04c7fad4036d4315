-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "input_options" JSONB,
ADD COLUMN     "kind" TEXT NOT NULL DEFAULT 'text-to-image',
ADD COLUMN     "parent_image_id" UUID;

-- AlterTable
ALTER TABLE "references" ADD COLUMN     "sha256" TEXT,
ADD COLUMN     "thumbnail_key" TEXT;

-- CreateTable
CREATE TABLE "job_inputs" (
    "id" UUID NOT NULL,
    "job_id" UUID NOT NULL,
    "slot" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "role" TEXT,
    "asset_id" UUID,
    "image_id" UUID,
    "storage_key" TEXT NOT NULL,
    "thumbnail_key" TEXT,
    "mime" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,

    CONSTRAINT "job_inputs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "job_inputs_asset_id_idx" ON "job_inputs"("asset_id");

-- CreateIndex
CREATE INDEX "job_inputs_image_id_idx" ON "job_inputs"("image_id");

-- CreateIndex
CREATE INDEX "job_inputs_storage_key_idx" ON "job_inputs"("storage_key");

-- CreateIndex
CREATE INDEX "job_inputs_thumbnail_key_idx" ON "job_inputs"("thumbnail_key");

-- CreateIndex
CREATE UNIQUE INDEX "job_inputs_job_id_slot_position_key" ON "job_inputs"("job_id", "slot", "position");

-- CreateIndex
CREATE UNIQUE INDEX "references_user_id_sha256_key" ON "references"("user_id", "sha256");

-- AddForeignKey
ALTER TABLE "job_inputs" ADD CONSTRAINT "job_inputs_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_inputs" ADD CONSTRAINT "job_inputs_asset_id_fkey" FOREIGN KEY ("asset_id") REFERENCES "references"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_inputs" ADD CONSTRAINT "job_inputs_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "images"("id") ON DELETE SET NULL ON UPDATE CASCADE;


-- From packages/db/sql/darkroom_accept_job_with_inputs.sql.
-- darkroom_accept_job_with_inputs: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
CREATE OR REPLACE FUNCTION public.darkroom_accept_job_with_inputs(job jsonb, image_ids uuid[], band integer, band_width integer, active_cap integer, task_max_attempts integer, count_ahead boolean, inputs jsonb)
 RETURNS TABLE(rank integer, accepted_at timestamp with time zone, ahead integer)
 LANGUAGE plpgsql
AS $function$
DECLARE
  job_id uuid := (job->>'id')::uuid;
BEGIN
  -- A job with image inputs: darkroom_accept_job as for any job, then, in the same statement, its kind,
  -- lineage and input rows (with their storage keys copied), so a refusal there leaves nothing written.
  RETURN QUERY SELECT * FROM darkroom_accept_job(job, image_ids, band, band_width, active_cap,
    task_max_attempts, count_ahead);

  UPDATE jobs SET kind = inputs->>'kind', parent_image_id = (inputs->>'parentImageId')::uuid,
      input_options = inputs->'options'
    WHERE id = job_id;

  INSERT INTO job_inputs (id, job_id, slot, position, role, asset_id, image_id, storage_key, thumbnail_key,
      mime, width, height)
    SELECT input.id, job_id, input.slot, input.position, input.role, input."assetId", input."imageId",
      input."storageKey", input."thumbnailKey", input.mime, input.width, input.height
    FROM jsonb_to_recordset(inputs->'rows') AS input(id uuid, slot text, position int, role text,
      "assetId" uuid, "imageId" uuid, "storageKey" text, "thumbnailKey" text, mime text, width int, height int);
END
$function$;
