-- darkroom_job_event_webhook: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
CREATE OR REPLACE FUNCTION public.darkroom_job_event_webhook()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
  -- core's WEBHOOK_EVENT_OF_TIMELINE: the webhook events sent only when the job's request lists them.
  event text := CASE NEW.type
    WHEN 'image_succeeded' THEN 'image.succeeded'
    WHEN 'image_failed' THEN 'image.failed'
    WHEN 'progress' THEN 'job.progress'
    WHEN 'position' THEN 'job.position'
  END;
BEGIN
  -- AFTER INSERT on job_events: in the writer's transaction, so a delivery is queued exactly when the
  -- event is recorded, whoever wrote it. 25 attempts and priority -32768 are core's TASKS.deliver_webhook
  -- and HOUSEKEEPING_PRIORITY (the same numbers darkroom_claim_job uses for job.started).
  -- Looked up first: most jobs have no webhook, and add_job is then never planned (a database without
  -- graphile-worker's schema, as in the migration tests, still takes progress updates).
  IF event IS NOT NULL AND EXISTS (SELECT 1 FROM jobs j
      WHERE j.id = NEW.job_id AND j.webhook_url IS NOT NULL AND event = ANY(j.webhook_events)) THEN
    PERFORM graphile_worker.add_job('deliver_webhook',
        json_build_object('jobId', NEW.job_id::text, 'event', event,
          'messageId', 'msg_' || replace(gen_random_uuid()::text, '-', ''), 'eventData', NEW.data),
        max_attempts := 25, priority := -32768);
  END IF;
  RETURN NULL;
END
$function$;

CREATE OR REPLACE TRIGGER job_events_webhook AFTER INSERT ON public.job_events FOR EACH ROW WHEN ((new.type = ANY (ARRAY['image_succeeded'::text, 'image_failed'::text, 'progress'::text, 'position'::text]))) EXECUTE FUNCTION darkroom_job_event_webhook();
