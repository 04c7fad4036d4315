/**
 * The end of a run as one statement (issue 20: darkroom_end_job, called only by lifecycle.endJob) against
 * what can meet it: a cancel, a second worker ending the same job, a worker dying between its vendor's
 * answer and its end. Each against a real Postgres, the run through the real pipeline.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { grantCredits, ledgerViolations, lifecycle, SupersededError, type Db, type Tx } from '@darkroom/db';
import { createTestDatabase, dyingBefore, makeJob, type TestDatabase } from '@darkroom/db/testing';
import { createLocalProvider, type ImageProvider } from '@darkroom/providers';
import { createFilesystemStorage } from '@darkroom/storage';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runJob, type PipelineDeps } from './pipeline.js';

let database: TestDatabase;
let userId: string;
const storage = createFilesystemStorage({ root: mkdtempSync(path.join(os.tmpdir(), 'darkroom-end-races-')) });
const PRICE = 10;
const BALANCE = 1000;
beforeAll(async () => {
  database = await createTestDatabase();
  userId = (await database.db.user.create({ data: { email: 'end-races@example.com' } })).id;
  await database.db.$transaction((tx) => grantCredits(tx, { userId, amount: BALANCE, note: 'for the races' }));
});
afterAll(() => database.drop());
// Every job here ends, so the whole ledger balances after each test: charged once, refunded once.
afterEach(async () => expect(await ledgerViolations(database.db)).toEqual([]));

const queuedJob = (numImages: number) =>
  makeJob({
    db: database.db,
    user: { id: userId },
    request: { prompt: 'an end', numImages },
    prices: { local: PRICE },
  });

/** The local provider, each call counted; `hold` makes call n wait until its release is called. */
function provider(hold?: number) {
  const local = createLocalProvider();
  const state = { calls: 0, release: () => {}, held: Promise.resolve() };
  let reached!: () => void;
  state.held = new Promise<void>((resolve) => (reached = resolve));
  const wrapped: ImageProvider = {
    ...local,
    async generate(request) {
      state.calls += 1;
      if (state.calls === hold) {
        await new Promise<void>((resolve) => {
          state.release = resolve;
          reached();
        });
      }
      return local.generate(request);
    },
  };
  return { provider: wrapped, state };
}

function deps(imageProvider: ImageProvider, workerId = 'end-races'): PipelineDeps {
  return {
    db: database.db,
    storage,
    providerFor: () => imageProvider,
    log: pino({ level: 'silent' }),
    workerId,
    imageConcurrency: 1,
  };
}

async function untilBlockedOnLock() {
  for (let i = 0; i < 1000; i++) {
    const [row] = await database.db.$queryRaw<[{ n: number }]>`
      select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
    if (row.n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no statement blocked on the lock within 10 s');
}

const events = (jobId: string, type: string) => database.db.jobEvent.findMany({ where: { jobId, type } });
const jobOf = (jobId: string) => database.db.job.findUniqueOrThrow({ where: { id: jobId }, include: { images: true } });

describe('a cancel racing the end', () => {
  it('a cancel arriving while the end holds the job waits for it, then finds the job over and writes nothing', async () => {
    const job = await queuedJob(1);
    const claim = await lifecycle.claimJob(database.db, job.id, 'end-races', 0);
    expect(claim.outcome).toBe('run');
    const attempt = claim.outcome === 'run' ? claim.job.attempts : 0;
    let canceled: Promise<lifecycle.CancelOutcome> | undefined;
    await database.db.$transaction(
      async (tx: Tx) => {
        // The worker's end (what endRun sends), held open: the cancel must queue behind it.
        const ended = await lifecycle.endJobIn(tx, job.id, { kind: 'settle' }, { attempt });
        expect(ended?.status).toBe('failed');
        canceled = lifecycle.cancelJob(database.db, job.id);
        await untilBlockedOnLock();
      },
      { timeout: 20_000 },
    );
    expect(await canceled).toEqual({ kind: 'over' });
    const after = await jobOf(job.id);
    expect(after).toMatchObject({
      status: 'failed',
      errorCode: 'internal',
      cancelRequestedAt: null,
      creditsReserved: 0,
    });
    expect(await events(job.id, 'cancel_requested')).toHaveLength(0);
    expect(await events(job.id, 'finished')).toHaveLength(1);
  });

  it('an end arriving while a cancel holds the job waits for it, then ends canceled, paying for the stored image only', async () => {
    const job = await queuedJob(2);
    const { provider: gated, state } = provider(2);
    const running = runJob(deps(gated), job.id);
    await state.held; // image 0 stored, image 1 at its vendor
    const attempt = (await jobOf(job.id)).attempts;
    let ending: Promise<lifecycle.Ended | null> | undefined;
    await database.db.$transaction(
      async (tx: Tx) => {
        // cancelJob's own statements, in a transaction the test holds open (they are all a client's, so
        // the transaction client runs them): the cancel is requested but not committed yet.
        expect(await lifecycle.cancelJob(tx as unknown as Db, job.id)).toEqual({ kind: 'requested' });
        ending = lifecycle.endJob(database.db, job.id, { kind: 'settle' }, { attempt });
        await untilBlockedOnLock();
      },
      { timeout: 20_000 },
    );
    const ended = await ending;
    expect(ended?.finished).toEqual({
      status: 'canceled',
      succeeded: 1,
      failed: 0,
      credits: { charged: PRICE, refunded: PRICE },
    });
    state.release();
    expect(await running).toEqual({ kind: 'finished' });
    const after = await jobOf(job.id);
    expect(after).toMatchObject({ status: 'canceled', creditsCharged: PRICE, creditsReserved: 0 });
    expect(after.images.map((image) => image.status).sort()).toEqual(['canceled', 'succeeded']);
    expect(await events(job.id, 'finished')).toHaveLength(1);
  });
});

describe('two workers ending one job', () => {
  it('two ends of the same claim at once: one writes the end and settles, the other finds it over', async () => {
    const balance = (await database.db.user.findUniqueOrThrow({ where: { id: userId } })).creditBalance;
    const job = await queuedJob(1);
    const claim = await lifecycle.claimJob(database.db, job.id, 'twice', 0);
    const attempt = claim.outcome === 'run' ? claim.job.attempts : -1;
    // The same claim's end sent twice at once (a retried statement, a duplicate delivery).
    const both = await Promise.all([
      lifecycle.endJob(database.db, job.id, { kind: 'cancel', reason: 'first' }, { attempt }),
      lifecycle.endJob(database.db, job.id, { kind: 'cancel', reason: 'second' }, { attempt }),
    ]);
    expect(both.filter((end) => end !== null)).toHaveLength(1);
    expect(await events(job.id, 'finished')).toHaveLength(1);
    // Held once, refunded once.
    expect((await database.db.user.findUniqueOrThrow({ where: { id: userId } })).creditBalance).toBe(balance);
  });

  it('a stolen job: the old worker ends it after the new one did and is fenced out, writing nothing', async () => {
    const job = await queuedJob(1);
    const { provider: gated, state } = provider(1);
    const old = runJob(deps(gated, 'old'), job.id);
    await state.held;
    // The old worker looks dead; its queue entry is run again by another worker, which finishes the job.
    expect(await runJob(deps(provider().provider, 'new'), job.id)).toEqual({ kind: 'finished' });
    state.release();
    await expect(old).rejects.toBeInstanceOf(SupersededError);
    // Its end, late: the fence refuses it before anything is written.
    await expect(
      lifecycle.endJob(database.db, job.id, { kind: 'settle', stopReason: 'run_timeout' }, { attempt: 1 }),
    ).rejects.toBeInstanceOf(SupersededError);
    const after = await jobOf(job.id);
    expect(after).toMatchObject({ status: 'succeeded', attempts: 2, creditsCharged: PRICE, creditsReserved: 0 });
    expect(await events(job.id, 'finished')).toHaveLength(1);
  });
});

describe('a worker dying between its vendor answer and its end', () => {
  it('the retried run stores nothing twice, calls no vendor again and ends the job succeeded, charged once', async () => {
    const job = await queuedJob(1);
    const counted = provider();
    await expect(dyingBefore('darkroom_end_job(', () => runJob(deps(counted.provider), job.id))).rejects.toThrow(
      'the process died',
    );
    const crashed = await jobOf(job.id);
    expect(crashed).toMatchObject({ status: 'running', creditsReserved: PRICE });
    expect(crashed.images[0]!.status).toBe('succeeded');

    expect(await runJob(deps(counted.provider, 'next'), job.id)).toEqual({ kind: 'finished' });
    expect(counted.state.calls).toBe(1);
    const after = await jobOf(job.id);
    expect(after).toMatchObject({ status: 'succeeded', attempts: 2, creditsCharged: PRICE, creditsReserved: 0 });
    expect(after.images[0]!.storageKey).toBe(crashed.images[0]!.storageKey);
    expect(await events(job.id, 'finished')).toHaveLength(1);
  });

  it('with no retry left, the sweep ends it: failed abandoned, the stored image paid for, nothing held', async () => {
    const job = await queuedJob(2);
    await expect(dyingBefore('darkroom_end_job(', () => runJob(deps(provider().provider), job.id))).rejects.toThrow(
      'the process died',
    );
    await database.db.$executeRaw`
      update jobs set deadline = now() - interval '2 minutes', updated_at = now() - interval '2 minutes' where id = ${job.id}::uuid`;
    const swept = await lifecycle.endAbandonedJobs(database.db, { graceSeconds: 30 });
    expect(swept.find((end) => end.id === job.id)?.finished).toMatchObject({
      status: 'failed',
      succeeded: 2,
      code: 'abandoned',
      credits: { charged: 2 * PRICE, refunded: 0 },
    });
    expect(await jobOf(job.id)).toMatchObject({ status: 'failed', creditsCharged: 2 * PRICE, creditsReserved: 0 });
  });
});

describe('the claim', () => {
  it('answers the claimed row exactly as Prisma reads it', async () => {
    const job = await queuedJob(1);
    const claim = await lifecycle.claimJob(database.db, job.id, 'row', 0);
    if (claim.outcome !== 'run') throw new Error(`claimed: ${claim.outcome}`);
    expect(claim.job).toEqual(await database.db.job.findUniqueOrThrow({ where: { id: job.id } }));
    expect(claim.job).toMatchObject({ status: 'running', attempts: 1, stage: 'references' });
    await lifecycle.endJob(database.db, job.id, { kind: 'cancel', reason: 'done' });
  });
});
