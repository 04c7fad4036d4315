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
