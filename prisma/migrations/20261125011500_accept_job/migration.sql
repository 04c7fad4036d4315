-- Accepting a job in one round trip. Hand-written: Prisma's schema language has no functions.
--
-- A submit used to be about ten statements in an interactive transaction (queue slot, job, images,
-- event, reservation, ledger entry, active-jobs count, add_job, queue position), each a round trip plus
-- Prisma's per-query CPU, with the user's row lock held across the later ones. These functions do the
-- same work inside Postgres, called as one statement (so it is one transaction: a refusal raises and
-- leaves nothing written). Callers: packages/db/src/credits.ts (reserveCredits) and
-- apps/api/src/jobs/service.ts (createJob), which also map the refusals below to domain errors.
--
-- Refusals are raised with our own SQLSTATEs and a JSON DETAIL the caller reads:
--   DR402 insufficient credits, DETAIL {"balance": n, "cost": n}
--   DR429 over the active-jobs cap, DETAIL {"maximum": n}

-- Holds `amount` credits of `owner` for `job`: the conditional update takes the user's row lock, so
-- concurrent submits of one user line up here and never spend a credit twice; taken even for a free job,
-- so the caller may count the user's active jobs exactly after it. Writes the `reserve` ledger entry.
CREATE FUNCTION darkroom_reserve_credits(owner uuid, job uuid, amount int, note text) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  balance int;
BEGIN
  UPDATE users SET credit_balance = credit_balance - amount, updated_at = now()
    WHERE id = owner AND credit_balance >= amount
    RETURNING credit_balance INTO balance;
  IF NOT FOUND THEN
    SELECT credit_balance INTO balance FROM users WHERE id = owner;
    RAISE EXCEPTION USING ERRCODE = 'DR402', MESSAGE = 'insufficient credits',
      DETAIL = json_build_object('balance', coalesce(balance, 0), 'cost', amount)::text;
  END IF;
  IF amount > 0 THEN
    INSERT INTO credit_entries (user_id, job_id, kind, amount, balance_after, note)
      VALUES (owner, job, 'reserve', -amount, balance, note);
  END IF;
  RETURN balance;
END
$$;

-- Accepts one job (`job`: the JSON of createJob's row, Prisma field names) with its images, `created`
-- event, queue entry, credit reservation and active-jobs check. Returns the job's queue rank, its
-- created_at and how many queued jobs are ahead of it.
--
-- Order matters for concurrent submits of one user, who line up on their row lock: everything that
-- needs no lock comes first (the statement is one transaction, so a refusal after it still undoes
-- it all), and under the lock only the reservation and the active-jobs count, which stops counting
-- past the cap. Each statement of a plpgsql function takes a fresh snapshot, so that count sees every
-- job committed by the submit that held the lock before.
CREATE FUNCTION darkroom_accept_job(job jsonb, image_ids uuid[], band int, band_width int, active_cap int, task_max_attempts int)
RETURNS TABLE (rank int, accepted_at timestamptz, ahead int)
LANGUAGE plpgsql AS $$
DECLARE
  job_id uuid := (job->>'id')::uuid;
  owner uuid := (job->>'userId')::uuid;
  active int;
BEGIN
  -- Its place in its owner's backlog of this priority: after their last queued job, or first (see
  -- packages/core/src/queue.ts, queueRankFor, for why this makes the queue fair between users).
  SELECT least(coalesce(max(j.queue_rank) + 1, band), band + band_width - 1) INTO rank
    FROM jobs j
    WHERE j.user_id = owner AND j.status = 'queued' AND j.queue_rank >= band AND j.queue_rank < band + band_width;

  INSERT INTO jobs (id, user_id, batch_id, preset, prompt, negative_prompt, style, aspect_ratio, width, height,
      seed, provider, quality, output_format, num_images, priority, queue_rank, start_by, run_timeout_s,
      idempotency_key, request_hash, project_id, page_id, metadata, webhook_url, webhook_events,
      credit_price, credits_reserved, updated_at)
    VALUES (job_id, owner, (job->>'batchId')::uuid, job->>'preset', job->>'prompt', job->>'negativePrompt',
      job->>'style', job->>'aspectRatio', (job->>'width')::int, (job->>'height')::int,
      (job->>'seed')::int, job->>'provider', job->>'quality', job->>'outputFormat', (job->>'numImages')::int,
      (job->>'priority')::"Priority", rank, (job->>'startBy')::timestamptz, (job->>'runTimeoutSeconds')::int,
      job->>'idempotencyKey', job->>'requestHash', job->>'projectId', job->>'pageId',
      nullif(job->'metadata', 'null'::jsonb), job->>'webhookUrl',
      array(SELECT jsonb_array_elements_text(job->'webhookEvents')),
      (job->>'creditPrice')::int, (job->>'creditsReserved')::int, now())
    RETURNING created_at INTO accepted_at;

  INSERT INTO images (id, job_id, index, updated_at)
    SELECT image.id, job_id, (image.ord - 1)::int, now() FROM unnest(image_ids) WITH ORDINALITY AS image(id, ord);

  INSERT INTO job_events (job_id, type, data)
    VALUES (job_id, 'created', jsonb_strip_nulls(jsonb_build_object(
      'numImages', (job->>'numImages')::int, 'priority', job->>'priority', 'batchId', job->>'batchId')));

  -- Same transaction as the row: a job never exists without its queue entry, or the reverse.
  PERFORM graphile_worker.add_job('generate', json_build_object('jobId', job_id::text),
    job_key := job_id::text, priority := rank, max_attempts := task_max_attempts);

  SELECT count(*) INTO ahead FROM jobs j
    WHERE j.status = 'queued' AND (j.queue_rank, j.created_at, j.id) < (rank, accepted_at, job_id);

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
$$;
