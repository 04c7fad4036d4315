-- references_search_update: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
CREATE OR REPLACE FUNCTION public.references_search_update()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  NEW."search" := to_tsvector('english', array_to_string(NEW."tags", ' ') || ' ' || coalesce(NEW."description", ''));
  RETURN NEW;
END $function$;

CREATE OR REPLACE TRIGGER references_search_update BEFORE INSERT OR UPDATE OF tags, description ON public."references" FOR EACH ROW EXECUTE FUNCTION references_search_update();
