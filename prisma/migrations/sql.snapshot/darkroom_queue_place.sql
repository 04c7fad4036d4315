-- darkroom_queue_place: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
CREATE OR REPLACE FUNCTION public.darkroom_queue_place(owner uuid, band integer, band_width integer)
 RETURNS TABLE(rank integer, ahead integer)
 LANGUAGE sql
 STABLE
AS $function$
  -- The place a job of this owner and band would get if accepted now: darkroom_accept_job's rank (after
  -- the owner's last queued job of the band, or first), and the queued jobs that would be ahead of it
  -- (every queued job with a lower rank, or the same rank and accepted earlier, which is all of them).
  WITH placed AS (
    SELECT least(coalesce(max(j.queue_rank) + 1, band), band + band_width - 1) AS rank
      FROM jobs j
      WHERE j.user_id = owner AND j.status = 'queued' AND j.queue_rank >= band AND j.queue_rank < band + band_width
  )
  SELECT placed.rank,
      (SELECT count(*)::int FROM jobs j WHERE j.status = 'queued' AND j.queue_rank <= placed.rank)
    FROM placed
$function$;
