-- darkroom_notify_job_changed: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
CREATE OR REPLACE FUNCTION public.darkroom_notify_job_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  PERFORM pg_notify(
    'darkroom_jobs',
    json_build_object('jobId', NEW.id, 'userId', NEW.user_id, 'cancelRequested', NEW.cancel_requested_at IS NOT NULL)::text
  );
  RETURN NULL;
END
$function$;

CREATE OR REPLACE TRIGGER jobs_notify_insert AFTER INSERT ON public.jobs FOR EACH ROW EXECUTE FUNCTION darkroom_notify_job_changed();

CREATE OR REPLACE TRIGGER jobs_notify_update AFTER UPDATE ON public.jobs FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION darkroom_notify_job_changed();
