-- darkroom_progress_event: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
CREATE OR REPLACE FUNCTION public.darkroom_progress_event()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  -- BEFORE UPDATE OF progress on jobs, so every writer (the worker's preview writes, its store, the end)
  -- gets a `progress` timeline event without a statement of its own; at most one a second per job, so a
  -- fast sampler does not flood the timeline or the webhooks that listen for job.progress.
  IF NEW.progress_event_at IS NULL OR NEW.progress_event_at <= clock_timestamp() - interval '1 second' THEN
    NEW.progress_event_at := clock_timestamp();
    INSERT INTO job_events (job_id, type, data)
      VALUES (NEW.id, 'progress', jsonb_build_object('progress', NEW.progress));
  END IF;
  RETURN NEW;
END
$function$;

CREATE OR REPLACE TRIGGER jobs_progress_event BEFORE UPDATE OF progress ON public.jobs FOR EACH ROW WHEN ((new.progress IS DISTINCT FROM old.progress)) EXECUTE FUNCTION darkroom_progress_event();
