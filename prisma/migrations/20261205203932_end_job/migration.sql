-- From packages/db/sql/darkroom_claim_job.sql.
DROP FUNCTION public.darkroom_claim_job(job uuid, worker text, running_cap integer, new_seed integer, webhook_max_attempts integer) CASCADE;
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

-- From packages/db/sql/darkroom_end_job.sql.
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

-- From packages/db/sql/darkroom_settle_credits.sql.
-- darkroom_settle_credits: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
-- Releases a job's held credits: charges its price for each stored image not charged before, refunds the
-- rest, each with its ledger entry (charge first, then refund). The charge moves no balance (the credits
-- were taken when held), so its entry's balance is the one before the refund. Harmless when called again:
-- nothing is held any more. Called by darkroom_end_job in the transaction that ends the job.
CREATE OR REPLACE FUNCTION public.darkroom_settle_credits(job uuid)
 RETURNS TABLE(charged integer, refunded integer)
 LANGUAGE plpgsql
AS $function$
DECLARE
  held jobs%ROWTYPE;
  stored int;
  balance int;
  image_count numeric;
BEGIN
  charged := 0;
  refunded := 0;
  SELECT * INTO held FROM jobs j WHERE j.id = job FOR UPDATE;
  IF NOT FOUND OR held.credits_reserved = 0 THEN
    RETURN NEXT;
    RETURN;
  END IF;
  SELECT count(*)::int INTO stored FROM images i WHERE i.job_id = job AND i.status = 'succeeded';
  charged := least(greatest(0, stored * held.credit_price - held.credits_charged), held.credits_reserved);
  refunded := held.credits_reserved - charged;
  UPDATE jobs SET credits_reserved = 0, credits_charged = held.credits_charged + charged, updated_at = now()
    WHERE id = job;
  UPDATE users SET credit_balance = credit_balance + refunded, updated_at = now()
    WHERE id = held.user_id RETURNING credit_balance INTO balance;
  IF charged > 0 THEN
    image_count := charged::numeric / (CASE WHEN held.credit_price = 0 THEN 1 ELSE held.credit_price END);
    INSERT INTO credit_entries (user_id, job_id, kind, amount, balance_after, note)
    VALUES (held.user_id, job, 'charge', 0, balance - refunded,
      format('%s credit%s spent on %s image%s', charged, CASE WHEN charged = 1 THEN '' ELSE 's' END,
        CASE WHEN image_count = trunc(image_count) THEN trunc(image_count)::bigint::text
          ELSE rtrim(image_count::text, '0') END,
        CASE WHEN image_count = 1 THEN '' ELSE 's' END));
  END IF;
  IF refunded > 0 THEN
    INSERT INTO credit_entries (user_id, job_id, kind, amount, balance_after, note)
    VALUES (held.user_id, job, 'refund', refunded, balance, 'credits held for images not produced');
  END IF;
  RETURN NEXT;
END
$function$;
