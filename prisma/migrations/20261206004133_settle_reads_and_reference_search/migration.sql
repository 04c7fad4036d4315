-- From packages/db/sql/darkroom_find_references.sql.
-- darkroom_find_references: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
-- The references stage's search (apps/worker/src/references.ts): up to max_found of the owner's uploads and
-- earlier results that share a word with terms (an OR query, ranked by ts_rank, newest first on a tie).
-- Earlier results are looked for among the owner's newest result_window finished jobs only, which the
-- index jobs(user_id, finished_at desc) gives in order without reading the rest of the history. Bitmap
-- scans are off for this function alone: with statistics older than a fast-growing account, the planner
-- chose a bitmap scan of all the owner's jobs and a sort (23-33 ms at 4,000 jobs, and growing with the
-- history) over that ordered index scan of 500 (about 1 ms).
CREATE OR REPLACE FUNCTION public.darkroom_find_references(job uuid, owner uuid, terms text, result_window integer, max_found integer)
 RETURNS TABLE(source text, id text, palette jsonb, tags text[], rank double precision)
 LANGUAGE sql
 STABLE
 SET enable_bitmapscan TO 'off'
AS $function$
  WITH q AS (SELECT websearch_to_tsquery('english', terms) AS query)
  SELECT found.source, found.id, found.palette, found.tags, found.rank FROM (
    SELECT 'upload' AS source, r.id::text AS id, r.palette, coalesce(r.tags, '{}') AS tags,
      ts_rank(r.search, q.query)::float8 AS rank, r.created_at AS at
    FROM "references" r, q
    WHERE r.user_id = owner AND r.search @@ q.query
    UNION ALL
    SELECT 'result', i.id::text, i.palette, array_remove(ARRAY[j.style, j.preset::text], NULL),
      ts_rank(j.search, q.query)::float8, i.created_at
    FROM (
      SELECT w.id, w.style, w.preset, w.search FROM jobs w
      WHERE w.user_id = owner AND w.finished_at IS NOT NULL AND w.id <> job
      ORDER BY w.finished_at DESC
      LIMIT result_window
    ) j JOIN images i ON i.job_id = j.id, q
    WHERE i.status = 'succeeded' AND i.palette IS NOT NULL AND j.search @@ q.query
  ) found
  ORDER BY found.rank DESC, found.at DESC
  LIMIT max_found
$function$;

-- From packages/db/sql/darkroom_settle_credits.sql.
-- darkroom_settle_credits: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
-- Releases a job's held credits: charges its price for each stored image not charged before, refunds the
-- rest, each with its ledger entry (charge first, then refund). The charge moves no balance (the credits
-- were taken when held), so its entry's balance is the one before the refund. Harmless when called again:
-- nothing is held any more. Called by darkroom_end_job in the transaction that ends the job. The owner's
-- balance is written only when something is refunded.
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
  IF refunded > 0 THEN
    UPDATE users SET credit_balance = credit_balance + refunded, updated_at = now()
      WHERE id = held.user_id RETURNING credit_balance INTO balance;
  ELSE
    -- Nothing goes back (every image was made): the balance is read for the charge's entry, not written.
    -- FOR SHARE waits for a reservation in progress (it holds the row FOR UPDATE), so the entry's balance
    -- follows the ledger's order, but lets other settlements that refund nothing through at once: the
    -- owner's jobs no longer end one at a time behind a write of their row that changed nothing.
    SELECT u.credit_balance INTO balance FROM users u WHERE u.id = held.user_id FOR SHARE;
  END IF;
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
