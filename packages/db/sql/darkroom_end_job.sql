-- darkroom_end_job: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
-- The one writer of every terminal status, called only by packages/db's lifecycle `endJob`
-- (src/lifecycle/end.ts says what each ending means). With the job row locked: the fence (the caller's
-- claim still holds: else 'superseded', nothing written), the status decided, images not finished marked
-- canceled, held credits settled (darkroom_settle_credits), the status with its one `finished` event, the
-- `job.finished` webhook and, for a job that never left the queue, its queue entry removed. Answers
-- 'none' (nothing written) for a job gone, already over, or not in from_statuses.
CREATE OR REPLACE FUNCTION public.darkroom_end_job(job uuid, ending text, stop_reason text, claim_attempt integer, from_statuses text[], fail_code text, fail_message text, fail_retryable boolean, cancel_reason text, webhook_max_attempts integer, webhook_priority integer)
 RETURNS TABLE(end_outcome text, end_status text, end_previous text, end_started_at timestamp with time zone, end_finished jsonb)
 LANGUAGE plpgsql
AS $function$
DECLARE
  locked jobs%ROWTYPE;
  n_succeeded int;
  n_failed int;
  n_unfinished int;
  first_code text;
  first_message text;
  new_status text;
  new_code text;
  new_message text;
  new_retryable boolean;
  settled record;
BEGIN
  SELECT * INTO locked FROM jobs j WHERE j.id = job FOR UPDATE;
  IF NOT FOUND THEN
    end_outcome := 'none';
    RETURN NEXT;
    RETURN;
  END IF;
  IF claim_attempt IS NOT NULL AND locked.attempts <> claim_attempt THEN
    end_outcome := 'superseded';
    RETURN NEXT;
    RETURN;
  END IF;
  IF locked.status NOT IN ('queued', 'running')
    OR (from_statuses IS NOT NULL AND NOT (locked.status::text = ANY (from_statuses))) THEN
    end_outcome := 'none';
    RETURN NEXT;
    RETURN;
  END IF;
  SELECT count(*) FILTER (WHERE i.status = 'succeeded')::int,
      count(*) FILTER (WHERE i.status = 'failed')::int,
      count(*) FILTER (WHERE i.status IN ('pending', 'running'))::int,
      (array_agg(i.error_code ORDER BY i.index) FILTER (WHERE i.status = 'failed'))[1],
      (array_agg(i.error_message ORDER BY i.index) FILTER (WHERE i.status = 'failed'))[1]
    INTO n_succeeded, n_failed, n_unfinished, first_code, first_message
    FROM images i WHERE i.job_id = job;

  IF ending = 'cancel' THEN
    new_status := 'canceled';
  ELSIF ending = 'fail' THEN
    new_status := 'failed';
    new_code := fail_code;
    new_message := fail_message;
    new_retryable := fail_retryable;
  ELSIF ending = 'settle' THEN
    IF locked.cancel_requested_at IS NOT NULL THEN
      new_status := 'canceled';
    ELSIF stop_reason = 'run_timeout' THEN
      new_status := 'failed';
      new_code := 'run_timeout';
      new_message := format('the run took longer than %s s; %s of %s images were stored and kept',
        locked.run_timeout_s, n_succeeded, locked.num_images);
      new_retryable := true;
    ELSIF n_succeeded > 0 THEN
      new_status := 'succeeded';
    ELSIF coalesce(first_code, '') <> '' THEN
      new_status := 'failed';
      new_code := first_code;
      new_message := 'no image was produced: ' || coalesce(first_message, 'unknown error');
      new_retryable := false;
    ELSE
      new_status := 'failed';
      new_code := 'internal';
      new_message := 'no image was produced';
      new_retryable := false;
    END IF;
  ELSE
    RAISE EXCEPTION 'darkroom_end_job: unknown ending %', ending;
  END IF;

  -- Images never finished (a cancel arrived first, the job failed) end as canceled, not pending forever.
  IF n_unfinished > 0 THEN
    UPDATE images SET status = 'canceled', finished_at = coalesce(finished_at, now())
      WHERE job_id = job AND status IN ('pending', 'running');
  END IF;
  SELECT * INTO settled FROM darkroom_settle_credits(job);
  end_finished := jsonb_strip_nulls(jsonb_build_object(
    'status', new_status, 'succeeded', n_succeeded, 'failed', n_failed,
    'credits', jsonb_build_object('charged', settled.charged, 'refunded', settled.refunded),
    'code', new_code, 'reason', CASE WHEN ending = 'cancel' THEN cancel_reason END));
  UPDATE jobs SET status = new_status::"JobStatus", stage = NULL, finished_at = now(),
      cancel_requested_at = CASE WHEN new_status = 'canceled' THEN coalesce(cancel_requested_at, now()) ELSE cancel_requested_at END,
      progress = CASE WHEN new_status = 'succeeded' THEN 100 ELSE progress END,
      error_code = new_code, error_message = new_message, error_retryable = new_retryable,
      updated_at = now()
    WHERE id = job;
  INSERT INTO job_events (job_id, type, data) VALUES (job, 'finished', end_finished);
  IF locked.webhook_url IS NOT NULL AND 'job.finished' = ANY (locked.webhook_events) THEN
    PERFORM graphile_worker.add_job('deliver_webhook',
      json_build_object('jobId', job::text, 'event', 'job.finished', 'messageId', 'msg_' || replace(gen_random_uuid()::text, '-', '')),
      max_attempts := webhook_max_attempts, priority := webhook_priority);
  END IF;
  -- A job that never left the queue takes its queue entry with it (one a worker holds is disarmed).
  IF locked.status = 'queued' THEN
    PERFORM graphile_worker.remove_job(job::text);
  END IF;
  end_outcome := 'ended';
  end_status := new_status;
  end_previous := locked.status::text;
  end_started_at := locked.started_at;
  RETURN NEXT;
END
$function$;
