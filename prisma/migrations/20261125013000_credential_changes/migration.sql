-- Credential changes: API processes keep a short-lived cache of API key -> user, so a key's revocation
-- or deletion, and a change to its user's role or email or the user's deletion, are announced on the
-- `darkroom_credentials` channel for every API process to drop what it holds. Payload: the user's id.
-- NOTIFY is delivered at commit. `last_used_at` writes (once a minute per key) are not announced.
-- Hand-written: Prisma's schema language has no triggers.

CREATE OR REPLACE FUNCTION darkroom_notify_api_key_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('darkroom_credentials', OLD.user_id::text);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION darkroom_notify_user_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('darkroom_credentials', OLD.id::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_notify_update AFTER UPDATE ON "api_keys"
  FOR EACH ROW WHEN (
    OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.hash IS DISTINCT FROM NEW.hash
    OR OLD.prefix IS DISTINCT FROM NEW.prefix OR OLD.user_id IS DISTINCT FROM NEW.user_id
  ) EXECUTE FUNCTION darkroom_notify_api_key_changed();

CREATE TRIGGER api_keys_notify_delete AFTER DELETE ON "api_keys"
  FOR EACH ROW EXECUTE FUNCTION darkroom_notify_api_key_changed();

CREATE TRIGGER users_notify_update AFTER UPDATE OF "role", "email" ON "users"
  FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.email IS DISTINCT FROM NEW.email)
  EXECUTE FUNCTION darkroom_notify_user_changed();

CREATE TRIGGER users_notify_delete AFTER DELETE ON "users"
  FOR EACH ROW EXECUTE FUNCTION darkroom_notify_user_changed();
