-- AlterTable
ALTER TABLE "images" ADD COLUMN     "preview_step" INTEGER,
ADD COLUMN     "preview_steps" INTEGER,
ADD COLUMN     "preview_version" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "progress" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "image_previews" (
    "image_id" UUID NOT NULL,
    "bytes" BYTEA NOT NULL,
    "mime" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "image_previews_pkey" PRIMARY KEY ("image_id")
);

-- AddForeignKey
ALTER TABLE "image_previews" ADD CONSTRAINT "image_previews_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "images"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- From packages/db/sql/darkroom_notify_image_changed.sql.
-- darkroom_notify_image_changed: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
CREATE OR REPLACE FUNCTION public.darkroom_notify_image_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  PERFORM pg_notify('darkroom_jobs', (
    SELECT json_build_object('jobId', id, 'userId', user_id, 'cancelRequested', cancel_requested_at IS NOT NULL)::text
    FROM jobs WHERE id = NEW.job_id
  ));
  RETURN NULL;
END
$function$;

CREATE OR REPLACE TRIGGER images_notify_status AFTER UPDATE OF status, preview_version ON public.images FOR EACH ROW WHEN (((old.status IS DISTINCT FROM new.status) OR (old.preview_version IS DISTINCT FROM new.preview_version))) EXECUTE FUNCTION darkroom_notify_image_changed();

-- Hand-written: an image's progress is a percentage; a preview's step lies within its steps.
ALTER TABLE "images" ADD CONSTRAINT "images_progress_range" CHECK (progress BETWEEN 0 AND 100);
ALTER TABLE "images" ADD CONSTRAINT "images_preview_step_range"
  CHECK (preview_step IS NULL OR (preview_step >= 0 AND (preview_steps IS NULL OR preview_step <= preview_steps)));
