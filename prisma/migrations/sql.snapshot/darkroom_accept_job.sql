-- darkroom_accept_job: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
CREATE OR REPLACE FUNCTION public.darkroom_accept_job(job jsonb, image_ids uuid[], band integer, band_width integer, active_cap integer, task_max_attempts integer, count_ahead boolean, submits jsonb DEFAULT NULL::jsonb)
 RETURNS TABLE(rank integer, accepted_at timestamp with time zone, ahead integer)
 LANGUAGE plpgsql
AS $function$
DECLARE
  job_id uuid := (job->>'id')::uuid;
  owner uuid := (job->>'userId')::uuid;
  active int;
  used int;
  resets bigint;
BEGIN
  -- `submits` (a single submit from the API): its per-minute counter, counted here rather than in a round
  -- trip of its own. The key and arithmetic are rate-limiter-flexible's consume (apps/api/src/rate-limits.ts),
  -- whose clock (`nowMs`) the API passes, so batches counted through the library share the same budget.
  -- A caller already over it is refused before anything is written.
  IF submits IS NOT NULL THEN
    SELECT r.points, r.expire INTO used, resets FROM rate_limits r
      WHERE r.key = submits->>'key' AND r.expire > (submits->>'nowMs')::bigint;
    IF used + (submits->>'points')::int > (submits->>'limit')::int THEN
      RAISE EXCEPTION USING ERRCODE = 'DR430', MESSAGE = 'over the submit rate',
        DETAIL = json_build_object('msBeforeNext', resets - (submits->>'nowMs')::bigint)::text;
    END IF;
  END IF;

  -- Its place in its owner's backlog of this priority (a quote asks darkroom_queue_place, the same rank).
  rank := darkroom_queue_rank(owner, band, band_width);

  INSERT INTO jobs (id, user_id, batch_id, preset, prompt, negative_prompt, style, aspect_ratio, width, height,
      seed, provider, quality, output_format, moderation, num_images, priority, queue_rank, start_by, not_before, run_timeout_s,
      idempotency_key, request_hash, project_id, page_id, metadata, webhook_url, webhook_events,
      credit_price, credits_reserved, trace_parent, model, engine_options, updated_at)
    VALUES (job_id, owner, (job->>'batchId')::uuid, job->>'preset', job->>'prompt', job->>'negativePrompt',
      job->>'style', job->>'aspectRatio', (job->>'width')::int, (job->>'height')::int,
      (job->>'seed')::int, job->>'provider', job->>'quality', job->>'outputFormat',
      coalesce(job->>'moderation', 'standard'), (job->>'numImages')::int,
      (job->>'priority')::"Priority", rank, (job->>'startBy')::timestamptz,
      (job->>'notBefore')::timestamptz, (job->>'runTimeoutSeconds')::int,
      job->>'idempotencyKey', job->>'requestHash', job->>'projectId', job->>'pageId',
      nullif(job->'metadata', 'null'::jsonb), job->>'webhookUrl',
      array(SELECT jsonb_array_elements_text(job->'webhookEvents')),
      (job->>'creditPrice')::int, (job->>'creditsReserved')::int, job->>'traceParent', job->>'model',
      nullif(job->'engineOptions', 'null'::jsonb), now())
    RETURNING created_at INTO accepted_at;

  INSERT INTO images (id, job_id, index, updated_at)
    SELECT image.id, job_id, (image.ord - 1)::int, now() FROM unnest(image_ids) WITH ORDINALITY AS image(id, ord);

  INSERT INTO job_events (job_id, type, data)
    VALUES (job_id, 'created', jsonb_strip_nulls(jsonb_build_object(
      'numImages', (job->>'numImages')::int, 'priority', job->>'priority', 'batchId', job->>'batchId',
      'notBefore', job->>'notBefore')));

  -- Same transaction as the row: a job never exists without its queue entry, or the reverse. A scheduled
  -- job's entry is not fetched before its run_at (graphile-worker's get_job: run_at <= now()).
  PERFORM graphile_worker.add_job('generate', json_build_object('jobId', job_id::text),
    job_key := job_id::text, priority := rank, max_attempts := task_max_attempts,
    run_at := coalesce((job->>'notBefore')::timestamptz, now()));

  -- Counted up to 1,000 (lifecycle's AHEAD_COUNTED_UP_TO): a count of the whole queue ahead was paid by
  -- every submit to a long queue (O(queue) each, most of Postgres's time at 10,000 queued). At the limit
  -- the API reads the place from its queue checkpoints instead (queue-checkpoints.ts: a short count).
  IF count_ahead THEN
    SELECT count(*) INTO ahead FROM (
      SELECT 1 FROM jobs j
        WHERE j.status = 'queued' AND (j.queue_rank, j.created_at, j.id) < (rank, accepted_at, job_id)
        LIMIT 1000) counted;
  END IF;

  -- Counted last before the user's row lock (the same user's submits queue there anyway), so the counter's
  -- row is not held across the work above; a refusal after this point rolls the count back with the job.
  IF submits IS NOT NULL THEN
    INSERT INTO rate_limits AS r (key, points, expire)
      VALUES (submits->>'key', (submits->>'points')::int,
        (submits->>'nowMs')::bigint + (submits->>'windowMs')::bigint)
      ON CONFLICT (key) DO UPDATE SET
        points = CASE WHEN r.expire <= (submits->>'nowMs')::bigint THEN excluded.points ELSE r.points + excluded.points END,
        expire = CASE WHEN r.expire <= (submits->>'nowMs')::bigint THEN excluded.expire ELSE r.expire END
      RETURNING r.points, r.expire INTO used, resets;
    IF used > (submits->>'limit')::int THEN
      RAISE EXCEPTION USING ERRCODE = 'DR430', MESSAGE = 'over the submit rate',
        DETAIL = json_build_object('msBeforeNext', resets - (submits->>'nowMs')::bigint)::text;
    END IF;
  END IF;

  -- Takes the user's row lock, held until commit.
  PERFORM darkroom_reserve_credits(owner, job_id, (job->>'creditsReserved')::int,
    format('%s images x %s', job->>'numImages', job->>'creditPrice'));

  SELECT count(*) INTO active FROM (
    SELECT 1 FROM jobs j WHERE j.user_id = owner AND j.status IN ('queued', 'running') LIMIT active_cap + 1
  ) counted;
  IF active > active_cap THEN
    RAISE EXCEPTION USING ERRCODE = 'DR429', MESSAGE = 'over the active-jobs cap',
      DETAIL = json_build_object('maximum', active_cap)::text;
  END IF;
  RETURN NEXT;
END
$function$;
