-- darkroom_claim_job: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
CREATE OR REPLACE FUNCTION public.darkroom_claim_job(job uuid, worker text, running_cap integer, new_seed integer, webhook_max_attempts integer)
 RETURNS TABLE(outcome text, queue_rank integer, start_by timestamp with time zone, claimed jobs)
 LANGUAGE plpgsql
AS $function$
DECLARE
  found_job jobs%ROWTYPE;
  running int;
BEGIN
  SELECT * INTO found_job FROM jobs j WHERE j.id = job FOR UPDATE;
  IF NOT FOUND OR found_job.status IN ('succeeded', 'failed', 'canceled') THEN
    outcome := 'over';
    RETURN NEXT;
    RETURN;
  END IF;
  IF found_job.cancel_requested_at IS NOT NULL THEN
    outcome := 'finish';
    RETURN NEXT;
    RETURN;
  END IF;
  IF found_job.status = 'queued' THEN
    IF found_job.start_by IS NOT NULL AND found_job.start_by < now() THEN
      outcome := 'fail';
      start_by := found_job.start_by;
      RETURN NEXT;
      RETURN;
    END IF;
    IF running_cap > 0 THEN
      PERFORM pg_advisory_xact_lock(hashtext(found_job.user_id::text));
      SELECT count(*) INTO running FROM (
        SELECT 1 FROM jobs j WHERE j.user_id = found_job.user_id AND j.status = 'running' LIMIT running_cap
      ) counted;
      IF running >= running_cap THEN
        outcome := 'deferred';
        queue_rank := found_job.queue_rank;
        RETURN NEXT;
        RETURN;
      END IF;
    END IF;
  END IF;

  UPDATE jobs SET status = 'running', stage = 'references',
      started_at = coalesce(found_job.started_at, now()),
      deadline = coalesce(found_job.deadline, now() + make_interval(secs => found_job.run_timeout_s)),
      attempts = found_job.attempts + 1,
      -- A job without a seed gets one now, so a resumed run draws the same images.
      seed = coalesce(found_job.seed, new_seed),
      updated_at = now()
    WHERE id = job
    RETURNING * INTO claimed;
  INSERT INTO job_events (job_id, type, data) VALUES
    (job, 'started', jsonb_build_object('attempt', found_job.attempts + 1, 'resumed', found_job.status = 'running', 'workerId', worker)),
    (job, 'stage', '{"stage":"references"}'::jsonb);
  -- A resumed run (after a crash) is not a new start for the caller.
  IF found_job.status = 'queued' AND found_job.webhook_url IS NOT NULL AND 'job.started' = ANY(found_job.webhook_events) THEN
    PERFORM graphile_worker.add_job('deliver_webhook',
      json_build_object('jobId', job::text, 'event', 'job.started', 'messageId', 'msg_' || replace(gen_random_uuid()::text, '-', '')),
      max_attempts := webhook_max_attempts, priority := -32768);
  END IF;
  -- The claimed row goes back with the decision, so the worker need not read it again.
  outcome := 'run';
  queue_rank := found_job.queue_rank;
  RETURN NEXT;
END
$function$;
