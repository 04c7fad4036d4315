-- darkroom_reserve_credits: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
CREATE OR REPLACE FUNCTION public.darkroom_reserve_credits(owner uuid, job uuid, amount integer, note text)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
DECLARE
  balance int;
BEGIN
  UPDATE users SET credit_balance = credit_balance - amount, updated_at = now()
    WHERE id = owner AND credit_balance >= amount
    RETURNING credit_balance INTO balance;
  IF NOT FOUND THEN
    SELECT credit_balance INTO balance FROM users WHERE id = owner;
    RAISE EXCEPTION USING ERRCODE = 'DR402', MESSAGE = 'insufficient credits',
      DETAIL = json_build_object('balance', coalesce(balance, 0), 'cost', amount)::text;
  END IF;
  IF amount > 0 THEN
    INSERT INTO credit_entries (user_id, job_id, kind, amount, balance_after, note)
      VALUES (owner, job, 'reserve', -amount, balance, note);
  END IF;
  RETURN balance;
END
$function$;
