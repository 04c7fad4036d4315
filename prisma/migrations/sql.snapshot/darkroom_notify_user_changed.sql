-- darkroom_notify_user_changed: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
CREATE OR REPLACE FUNCTION public.darkroom_notify_user_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  PERFORM pg_notify('darkroom_credentials', OLD.id::text);
  RETURN NULL;
END
$function$;

CREATE OR REPLACE TRIGGER users_notify_delete AFTER DELETE ON public.users FOR EACH ROW EXECUTE FUNCTION darkroom_notify_user_changed();

CREATE OR REPLACE TRIGGER users_notify_update AFTER UPDATE OF role, email ON public.users FOR EACH ROW WHEN (((old.role IS DISTINCT FROM new.role) OR (old.email IS DISTINCT FROM new.email))) EXECUTE FUNCTION darkroom_notify_user_changed();
