-- darkroom_queue_rank: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
CREATE OR REPLACE FUNCTION public.darkroom_queue_rank(owner uuid, band integer, band_width integer)
 RETURNS integer
 LANGUAGE sql
 STABLE
AS $function$
  -- A new job's place in its owner's backlog of this priority: after their last queued job, or first (see
  -- packages/core/src/queue.ts, queueRankFor, for why this makes the queue fair between users). Used by
  -- darkroom_accept_job and, for a quote, darkroom_queue_place.
  SELECT least(coalesce(max(j.queue_rank) + 1, band), band + band_width - 1)
    FROM jobs j
    WHERE j.user_id = owner AND j.status = 'queued' AND j.queue_rank >= band AND j.queue_rank < band + band_width
$function$;
