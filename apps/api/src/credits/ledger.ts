/**
 * The ledger as a person reads it: one line per job (its reserve, charge and refund folded) and one per
 * grant, newest first, a cursor page at a time. A line's place is its newest entry's id, which only
 * grows, so pages never repeat or skip a line; a running job's line moves up when it settles.
 */
import type { LedgerPageInput, LedgerPageView } from '@darkroom/core';
import type { Db } from '@darkroom/db';
import type { AuthUser } from '../context.js';

interface LineRow {
  id: bigint;
  job_id: string | null;
  amount: number;
  refunded: number;
  settled: boolean;
  grant: boolean;
  note: string | null;
  balance_after: number;
  created_at: Date;
  prompt: string | null;
}

export async function listLedger({
  db,
  user,
  input,
}: {
  db: Db;
  user: AuthUser;
  input: LedgerPageInput & { limit: number };
}): Promise<LedgerPageView> {
  const cursor = input.cursor ?? null;
  const [account, rows] = await Promise.all([
    db.user.findUniqueOrThrow({ where: { id: user.id }, select: { creditBalance: true } }),
    db.$queryRaw<LineRow[]>`
      with lines as (
        select max(e.id) as id, e.job_id,
               sum(e.amount)::int as amount,
               coalesce(sum(e.amount) filter (where e.kind = 'refund'), 0)::int as refunded,
               bool_or(e.kind in ('charge', 'refund')) as settled,
               bool_and(e.kind = 'grant') as "grant",
               min(e.note) filter (where e.kind = 'grant') as note
        from credit_entries e
        where e.user_id = ${user.id}::uuid
        group by coalesce(e.job_id::text, e.id::text), e.job_id
      )
      select l.*, c.balance_after, c.created_at, j.prompt
      from lines l
      join credit_entries c on c.id = l.id
      left join jobs j on j.id = l.job_id
      where ${cursor}::bigint is null or l.id < ${cursor}::bigint
      order by l.id desc
      limit ${input.limit + 1}`,
  ]);
  const page = rows.slice(0, input.limit);
  return {
    balance: account.creditBalance,
    lines: page.map((row) => ({
      id: row.id.toString(),
      kind: row.grant ? 'grant' : 'job',
      jobId: row.job_id,
      prompt: row.prompt,
      note: row.note,
      amount: row.amount,
      spent: !row.grant && row.settled ? -row.amount : 0,
      refunded: row.refunded,
      settled: row.grant || row.settled,
      balanceAfter: row.balance_after,
      createdAt: row.created_at.toISOString(),
    })),
    nextCursor: rows.length > input.limit ? page.at(-1)!.id.toString() : null,
  };
}
