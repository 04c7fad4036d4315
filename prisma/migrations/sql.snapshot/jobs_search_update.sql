-- jobs_search_update: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
CREATE OR REPLACE FUNCTION public.jobs_search_update()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  NEW."search" := to_tsvector('english', coalesce(NEW."prompt", '') || ' ' || coalesce(NEW."style", '') || ' ' || replace(coalesce(NEW."preset", ''), '-', ' '));
  RETURN NEW;
END $function$;

CREATE OR REPLACE TRIGGER jobs_search_update BEFORE INSERT OR UPDATE OF prompt, style, preset ON public.jobs FOR EACH ROW EXECUTE FUNCTION jobs_search_update();
