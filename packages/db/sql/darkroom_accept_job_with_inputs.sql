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
