/**
 * The credit invariants, checked against the database itself, and a way to run a job's pipeline in
 * the test process (the worker's real `runJob`) with the mock provider's seeded failure mix.
 */
import { createProvider } from '@darkroom/providers';
import type { Db } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import { runJob } from '@darkroom/worker';
import { pino } from 'pino';

/**
 * For every user: the ledger sums to the balance, which is never negative. For every job: its entries
 * sum to -(charged + held), a finished job holds nothing, and it was charged exactly its price for each
 * stored image. Returns the violations (none = holds).
 */
export async function ledgerViolations(db: Db): Promise<string[]> {
  const users = await db.$queryRaw<{ email: string; balance: number; ledger: bigint | null }[]>`
    select u.email, u.credit_balance as balance, (select sum(amount) from credit_entries e where e.user_id = u.id) as ledger
    from users u`;
  const jobs = await db.$queryRaw<{ id: string; status: string; reserved: number; charged: number; price: number; ledger: bigint | null; stored: bigint }[]>`
    select j.id, j.status::text, j.credits_reserved as reserved, j.credits_charged as charged, j.credit_price as price,
      (select sum(amount) from credit_entries e where e.job_id = j.id) as ledger,
      (select count(*) from images i where i.job_id = j.id and i.status = 'succeeded') as stored
    from jobs j`;
  const violations: string[] = [];
  for (const user of users) {
    if (Number(user.ledger ?? 0) !== user.balance) violations.push(`${user.email}: ledger ${user.ledger} != balance ${user.balance}`);
    if (user.balance < 0) violations.push(`${user.email}: negative balance ${user.balance}`);
  }
  for (const job of jobs) {
    if (Number(job.ledger ?? 0) !== -(job.charged + job.reserved)) violations.push(`job ${job.id}: entries ${job.ledger} != -(${job.charged} + ${job.reserved})`);
    const finished = ['succeeded', 'failed', 'canceled'].includes(job.status);
    if (finished && job.reserved !== 0) violations.push(`job ${job.id} is ${job.status} but still holds ${job.reserved}`);
    if (finished && job.charged !== Number(job.stored) * job.price) violations.push(`job ${job.id}: charged ${job.charged} for ${job.stored} images at ${job.price}`);
  }
  return violations;
}

/** Runs one job to its end in this process, as a worker would, with the mock's failure mix. */
export function makeJobRunner({ db, storage, failures }: { db: Db; storage: ImageStorage; failures: Record<string, number> }) {
  const mock = createProvider('mock', { mock: { latencyMs: [0, 0], failures, retryAfterMs: 0, seed: 7 } });
  const local = createProvider('local', {});
  const deps = {
    db,
    storage,
    providerFor: (name: string) => (name === 'mock' ? mock : local),
    log: pino({ level: 'silent' }),
    workerId: 'test-runner',
    imageConcurrency: 2,
    maxImageAttempts: 1,
  };
  return (jobId: string) => runJob(deps, jobId);
}
