-- darkroom_queue_place: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
CREATE OR REPLACE FUNCTION public.darkroom_queue_place(owner uuid, band integer, band_width integer)
 RETURNS TABLE(rank integer, ahead integer)
 LANGUAGE sql
 STABLE
AS $function$
  -- The place a job of this owner and band would get if accepted now: darkroom_accept_job's rank, and the
  -- queued jobs that would be ahead of it (every queued job with a lower rank, or the same rank and
  -- accepted earlier, which is all of them).
  WITH placed AS (SELECT darkroom_queue_rank(owner, band, band_width) AS rank)
  SELECT placed.rank,
      (SELECT count(*)::int FROM jobs j WHERE j.status = 'queued' AND j.queue_rank <= placed.rank)
    FROM placed
$function$;
