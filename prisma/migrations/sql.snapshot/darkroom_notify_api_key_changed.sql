-- darkroom_notify_api_key_changed: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
CREATE OR REPLACE FUNCTION public.darkroom_notify_api_key_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  PERFORM pg_notify('darkroom_credentials', OLD.user_id::text);
  RETURN NULL;
END
$function$;

CREATE OR REPLACE TRIGGER api_keys_notify_delete AFTER DELETE ON public.api_keys FOR EACH ROW EXECUTE FUNCTION darkroom_notify_api_key_changed();

CREATE OR REPLACE TRIGGER api_keys_notify_update AFTER UPDATE ON public.api_keys FOR EACH ROW WHEN (((old.revoked_at IS DISTINCT FROM new.revoked_at) OR (old.hash IS DISTINCT FROM new.hash) OR (old.prefix IS DISTINCT FROM new.prefix) OR (old.user_id IS DISTINCT FROM new.user_id))) EXECUTE FUNCTION darkroom_notify_api_key_changed();
