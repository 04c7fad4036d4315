-- darkroom_settle_credits: the current definition (source of truth). Edit it here, then run pnpm db:migration <name>.
-- Releases a job's held credits: charges its price for each stored image not charged before, refunds the
-- rest, each with its ledger entry (charge first, then refund). The charge moves no balance (the credits
-- were taken when held), so its entry's balance is the one before the refund. Harmless when called again:
-- nothing is held any more. Called by darkroom_end_job in the transaction that ends the job. The owner's
-- balance is written only when something is refunded.
CREATE OR REPLACE FUNCTION public.darkroom_settle_credits(job uuid)
 RETURNS TABLE(charged integer, refunded integer)
 LANGUAGE plpgsql
AS $function$
DECLARE
  held jobs%ROWTYPE;
  stored int;
  balance int;
  image_count numeric;
BEGIN
  charged := 0;
  refunded := 0;
  SELECT * INTO held FROM jobs j WHERE j.id = job FOR UPDATE;
  IF NOT FOUND OR held.credits_reserved = 0 THEN
    RETURN NEXT;
    RETURN;
  END IF;
  SELECT count(*)::int INTO stored FROM images i WHERE i.job_id = job AND i.status = 'succeeded';
  charged := least(greatest(0, stored * held.credit_price - held.credits_charged), held.credits_reserved);
  refunded := held.credits_reserved - charged;
  UPDATE jobs SET credits_reserved = 0, credits_charged = held.credits_charged + charged, updated_at = now()
    WHERE id = job;
  IF refunded > 0 THEN
    UPDATE users SET credit_balance = credit_balance + refunded, updated_at = now()
      WHERE id = held.user_id RETURNING credit_balance INTO balance;
  ELSE
    -- Nothing goes back (every image was made): the balance is read for the charge's entry, not written.
    -- FOR SHARE waits for a reservation in progress (it holds the row FOR UPDATE), so the entry's balance
    -- follows the ledger's order, but lets other settlements that refund nothing through at once: the
    -- owner's jobs no longer end one at a time behind a write of their row that changed nothing.
    SELECT u.credit_balance INTO balance FROM users u WHERE u.id = held.user_id FOR SHARE;
  END IF;
  IF charged > 0 THEN
    image_count := charged::numeric / (CASE WHEN held.credit_price = 0 THEN 1 ELSE held.credit_price END);
    INSERT INTO credit_entries (user_id, job_id, kind, amount, balance_after, note)
    VALUES (held.user_id, job, 'charge', 0, balance - refunded,
      format('%s credit%s spent on %s image%s', charged, CASE WHEN charged = 1 THEN '' ELSE 's' END,
        CASE WHEN image_count = trunc(image_count) THEN trunc(image_count)::bigint::text
          ELSE rtrim(image_count::text, '0') END,
        CASE WHEN image_count = 1 THEN '' ELSE 's' END));
  END IF;
  IF refunded > 0 THEN
    INSERT INTO credit_entries (user_id, job_id, kind, amount, balance_after, note)
    VALUES (held.user_id, job, 'refund', refunded, balance, 'credits held for images not produced');
  END IF;
  RETURN NEXT;
END
$function$;
