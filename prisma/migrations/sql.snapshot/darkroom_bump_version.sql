-- darkroom_bump_version: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
CREATE OR REPLACE FUNCTION public.darkroom_bump_version()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  NEW.version := OLD.version + 1;
  RETURN NEW;
END
$function$;

CREATE OR REPLACE TRIGGER images_bump_version BEFORE UPDATE ON public.images FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION darkroom_bump_version();

CREATE OR REPLACE TRIGGER jobs_bump_version BEFORE UPDATE ON public.jobs FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION darkroom_bump_version();
