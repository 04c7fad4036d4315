/**
 * The credit ledger. Every change to a balance is one `credit_entries` row written in the same
 * transaction as the balance update, so the sum of a user's entries is always their balance:
 *
 * - grant   +n  an admin (or sign-up) adds credits; negative grants take credits back, never below 0.
 * - reserve -n  a submit (or retry) holds numImages x price; the balance never goes below 0.
 * - charge   0  when a job ends, held credits for its succeeded images become spent; the balance
 *               already went down at reserve, so a charge moves nothing (its note says how much).
 * - refund  +n  when a job ends, held credits for images not produced come back.
 *
 * A job's own entries always sum to -(creditsCharged + creditsReserved).
 */
import { DomainError } from '@darkroom/core';
import type { Db, Tx } from './client.js';

type Kind = 'grant' | 'reserve' | 'charge' | 'refund';

async function addEntry(
  tx: Tx,
  entry: {
    userId: string;
    jobId: string | null;
    kind: Kind;
    amount: number;
    balanceAfter: number;
    note: string | null;
  },
) {
  await tx.creditEntry.create({ data: entry });
}

/**
 * Holds `amount` credits of `userId` for `jobId`, or throws INSUFFICIENT_CREDITS naming balance and
 * cost. One statement: `darkroom_reserve_credits` (migration 20261125011500_accept_job) takes the user's
 * row lock with a conditional update, so concurrent submits of one user line up there and can never
 * spend the same credit twice; it is taken even for a free job, which lets the caller count the user's
 * active jobs safely after it. It writes the `reserve` entry too.
 */
export async function reserveCredits(
  tx: Tx,
  { userId, jobId, amount, note }: { userId: string; jobId: string; amount: number; note: string },
): Promise<number> {
  try {
    const [row] = await tx.$queryRaw<{ balance: number }[]>`
      select darkroom_reserve_credits(${userId}::uuid, ${jobId}::uuid, ${amount}::int, ${note}) as balance`;
    return row!.balance;
  } catch (error) {
    throw domainErrorFromPostgres(error) ?? error;
  }
}

/** Seconds a caller over the active-jobs cap is told to wait: about how long a small job takes. */
export const ACTIVE_JOBS_RETRY_AFTER_SECONDS = 5;

/**
 * The SQLSTATE contract, decoded in this one place: the DomainError for a refusal our plpgsql raises
 * on purpose, else null (rethrow the error as it is).
 * - DR402 (`darkroom_reserve_credits`): INSUFFICIENT_CREDITS, DETAIL `{"balance": n, "cost": n}`.
 * - DR429 (`darkroom_accept_job`): RATE_LIMITED over the active-jobs cap, DETAIL `{"maximum": n}`.
 * Prisma hands a raw query's Postgres error over as its driver adapter error's cause.
 */
export function domainErrorFromPostgres(error: unknown): DomainError | null {
  const cause = postgresErrorOf(error);
  if (cause?.originalCode === 'DR402') {
    const { balance, cost } = JSON.parse(cause.detail ?? '{}') as { balance: number; cost: number };
    return new DomainError('INSUFFICIENT_CREDITS', `this needs ${cost} credits and the balance is ${balance}`, {
      balance,
      cost,
    });
  }
  if (cause?.originalCode === 'DR429') {
    const { maximum } = JSON.parse(cause.detail ?? '{}') as { maximum: number };
    return activeJobsCapError(maximum);
  }
  return null;
}

/** RATE_LIMITED for a submit or retry over the active-jobs cap (DR429 in SQL; the same error from TS). */
export function activeJobsCapError(maximum: number): DomainError {
  return new DomainError(
    'RATE_LIMITED',
    `at most ${maximum} jobs may be queued or running at once; wait for some to finish`,
    {
      retryAfterSeconds: ACTIVE_JOBS_RETRY_AFTER_SECONDS,
      maximum,
    },
  );
}

/** INSUFFICIENT_CREDITS for a DR402 refusal, else null (kept for callers that expect only that one). */
export function creditRefusal(error: unknown): DomainError | null {
  const refusal = domainErrorFromPostgres(error);
  return refusal?.code === 'INSUFFICIENT_CREDITS' ? refusal : null;
}

/** The Postgres error (SQLSTATE, DETAIL) behind a failed raw query, when that is what it is. */
export function postgresErrorOf(error: unknown): { originalCode?: string; detail?: string } | undefined {
  const viaPrisma = (
    error as { meta?: { driverAdapterError?: { cause?: { originalCode?: string; detail?: string } } } } | null
  )?.meta?.driverAdapterError?.cause;
  if (viaPrisma) return viaPrisma;
  // A statement sent over the pool itself (queryHot) fails with node-postgres's DatabaseError: its
  // SQLSTATE is `code`.
  const { code, detail } = (error ?? {}) as { code?: unknown; detail?: unknown };
  if (!(error instanceof Error) || typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return undefined;
  return { originalCode: code, ...(typeof detail === 'string' ? { detail } : {}) };
}

/**
 * Releases a job's held credits: charges its price for each succeeded image not charged before and
 * refunds the rest. Call it in the transaction that gives the job its terminal status; calling it
 * again is harmless (nothing is held any more).
 */
export async function settleJobCredits(tx: Tx, jobId: string): Promise<{ charged: number; refunded: number }> {
  // darkroom_settle_credits (packages/db/sql), the same one darkroom_end_job settles with: one statement.
  const [settled] = await tx.$queryRaw<{ charged: number; refunded: number }[]>`
    select charged, refunded from darkroom_settle_credits(${jobId}::uuid)`;
  return { charged: settled!.charged, refunded: settled!.refunded };
}

/**
 * Adds `amount` credits (negative takes them back). A grant that would leave the balance below zero
 * is refused and changes nothing.
 */
export async function grantCredits(
  tx: Tx,
  { userId, amount, note }: { userId: string; amount: number; note: string },
): Promise<number> {
  const rows = await tx.$queryRaw<{ credit_balance: number }[]>`
    update users set credit_balance = credit_balance + ${amount}::int, updated_at = now()
    where id = ${userId}::uuid and credit_balance + ${amount}::int >= 0
    returning credit_balance`;
  const row = rows[0];
  if (!row) {
    const user = await tx.user.findUnique({ where: { id: userId }, select: { creditBalance: true } });
    if (!user) throw new DomainError('NOT_FOUND', `user ${userId} not found`);
    throw new DomainError(
      'BAD_INPUT',
      `taking back ${-amount} credits would leave a negative balance (it is ${user.creditBalance})`,
      { field: 'amount', balance: user.creditBalance },
    );
  }
  await addEntry(tx, { userId, jobId: null, kind: 'grant', amount, balanceAfter: row.credit_balance, note });
  return row.credit_balance;
}

/**
 * For every user: the ledger sums to the balance, which is never negative. For every job: its entries
 * sum to -(charged + held), a finished job holds nothing, and it was charged exactly its price for each
 * stored image. Returns the violations (none = holds).
 */
export async function ledgerViolations(db: Db | Tx): Promise<string[]> {
  const users = await db.$queryRaw<{ email: string; balance: number; ledger: bigint | null }[]>`
    select u.email, u.credit_balance as balance, (select sum(amount) from credit_entries e where e.user_id = u.id) as ledger
    from users u`;
  const jobs = await db.$queryRaw<
    {
      id: string;
      status: string;
      reserved: number;
      charged: number;
      price: number;
      ledger: bigint | null;
      stored: bigint;
    }[]
  >`
    select j.id, j.status::text, j.credits_reserved as reserved, j.credits_charged as charged, j.credit_price as price,
      (select sum(amount) from credit_entries e where e.job_id = j.id) as ledger,
      (select count(*) from images i where i.job_id = j.id and i.status = 'succeeded') as stored
    from jobs j`;
  const violations: string[] = [];
  for (const user of users) {
    if (Number(user.ledger ?? 0) !== user.balance)
      violations.push(`${user.email}: ledger ${user.ledger} != balance ${user.balance}`);
    if (user.balance < 0) violations.push(`${user.email}: negative balance ${user.balance}`);
  }
  for (const job of jobs) {
    if (Number(job.ledger ?? 0) !== -(job.charged + job.reserved))
      violations.push(`job ${job.id}: entries ${job.ledger} != -(${job.charged} + ${job.reserved})`);
    const finished = ['succeeded', 'failed', 'canceled'].includes(job.status);
    if (finished && job.reserved !== 0)
      violations.push(`job ${job.id} is ${job.status} but still holds ${job.reserved}`);
    if (finished && job.charged !== Number(job.stored) * job.price)
      violations.push(`job ${job.id}: charged ${job.charged} for ${job.stored} images at ${job.price}`);
  }
  return violations;
}
