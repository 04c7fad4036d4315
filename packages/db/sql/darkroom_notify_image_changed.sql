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
