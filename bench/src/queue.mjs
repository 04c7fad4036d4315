// Queue fairness and ETA accuracy, with the mock provider on a real (embedded) Postgres.
//
// Fairness: 2 workers, mock at 100 ms. User A queues 500 jobs, then user B queues 1. We measure how
// long B waits and how many of A's jobs start before it, beside the baseline a first-in first-out queue
// would give (B behind all of A's queued jobs: queued x service time / workers).
//
// ETA: while A's backlog drains, probe jobs are submitted from A (end of the queue) and from new users
// (front of their band); each probe's estimatedWaitSeconds at submit is compared with its real wait.
//
// Quotes: each probe is quoted (jobs.quote) just before it is submitted; the quote's credits must equal
// what the job is finally charged, and its predicted start must be within 25 % of the real wait.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { accountSettingsFrom, loadApiConfig, makeInProcessCallers } from '@darkroom/api';
import { makeDb, migrateDatabase, startEmbeddedPostgres } from '@darkroom/db';
import { createFilesystemStorage } from '@darkroom/storage';
import { loadWorkerConfig, startWorker } from '@darkroom/worker';

const LATENCY_MS = 100;
const BACKLOG = 500;

export async function queueScenario() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-bench-queue-'));
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), ephemeral: true });
  const db = makeDb({ url: postgres.url, poolSize: 20 });
  const storage = createFilesystemStorage({ root: path.join(dir, 'images') });
  const workers = [];
  // Credits and submit limits large enough that the scenario measures the queue, not them.
  const settings = accountSettingsFrom(
    loadApiConfig({
      DATABASE_URL: postgres.url,
      STARTING_CREDITS: '1000000',
      SUBMITS_PER_MINUTE: '1000000',
      MAX_ACTIVE_JOBS_PER_USER: '1000000',
    }),
  );
  const callers = await makeInProcessCallers({ db, storage, databaseUrl: postgres.url, settings });
  try {
    await migrateDatabase(postgres.url);
    const callerFor = async (email) => {
      const user = await db.user.create({ data: { email, creditBalance: settings.startingCredits } });
      await db.creditEntry.create({
        data: {
          userId: user.id,
          kind: 'grant',
          amount: settings.startingCredits,
          balanceAfter: settings.startingCredits,
          note: 'bench',
        },
      });
      return callers.callerFor({ id: user.id, email, role: 'user' });
    };
    for (const id of ['w1', 'w2']) {
      workers.push(
        await startWorker(
          loadWorkerConfig({
            DATABASE_URL: postgres.url,
            STORAGE_DIR: path.join(dir, 'images'),
            WORKER_ID: id,
            WORKER_CONCURRENCY: '1',
            MOCK_LATENCY_MS: String(LATENCY_MS),
            POLL_INTERVAL_MS: '200',
            LOG_LEVEL: 'silent',
          }),
        ),
      );
    }

    // --- fairness -------------------------------------------------------------------------------
    const a = await callerFor('a@bench');
    for (let i = 0; i < BACKLOG; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) => a.jobs.create({ prompt: `backlog ${i + j}`, provider: 'mock' })),
      );
    }
    await sleep(3000); // let the queue reach its steady rate before anyone measures
    const b = await callerFor('b@bench');
    const submitted = Date.now();
    const single = await b.jobs.create({ prompt: 'just one', provider: 'mock' });
    const started = await waitFor(async () => (await b.jobs.get({ id: single.id })).startedAt);
    const bWaitMs = Date.parse(started) - submitted;
    const aQueuedAtSubmit = await db.job.count({
      where: { status: { in: ['queued', 'running'] }, prompt: { startsWith: 'backlog' } },
    });
    const serviceMs = await meanServiceMs(db);
    const fifoWaitMs = ((aQueuedAtSubmit + 0) * serviceMs) / workers.length;
    const aStartedBefore = await db.job.count({
      where: { prompt: { startsWith: 'backlog' }, startedAt: { gte: new Date(submitted), lt: new Date(started) } },
    });

    // --- ETA --------------------------------------------------------------------------------------
    // The estimate extrapolates the last 100 starts; give it a window of steady processing (the 500
    // inserts above slowed the workers, and no estimator can foresee that load going away).
    await sleep(7000);
    const probes = [];
    const probe = async (who, caller, request) => {
      const quotedAt = Date.now();
      const quote = await caller.jobs.quote(request);
      return { who, caller, quote, quotedAt, job: await caller.jobs.create(request) };
    };
    for (let round = 0; round < 4; round++) {
      probes.push(
        await probe('backlog user (end of queue)', a, { prompt: `probe a ${round}`, provider: 'mock', numImages: 2 }),
      );
      const newcomer = await callerFor(`c${round}@bench`);
      probes.push(await probe('new user (front of band)', newcomer, { prompt: `probe c ${round}`, provider: 'mock' }));
      await sleep(2500);
    }
    const etaRows = [];
    const quoteRows = [];
    for (const probe of probes) {
      const { caller } = probe;
      const startedAt = await waitFor(async () => (await caller.jobs.get({ id: probe.job.id })).startedAt, 120_000);
      const actual = (Date.parse(startedAt) - Date.parse(probe.job.createdAt)) / 1000;
      const estimate = probe.job.estimatedWaitSeconds;
      etaRows.push({
        who: probe.who,
        position: probe.job.queuePosition,
        estimateSeconds: estimate,
        actualSeconds: round1(actual),
        errorPercent: estimate === null ? null : round1(((estimate - actual) / Math.max(actual, 0.1)) * 100),
      });
      await waitFor(async () => (await caller.jobs.get({ id: probe.job.id })).finishedAt, 120_000);
      const { creditsCharged } = await db.job.findUniqueOrThrow({ where: { id: probe.job.id } });
      const quotedWait =
        probe.quote.predictedStartAt === null
          ? null
          : (Date.parse(probe.quote.predictedStartAt) - probe.quotedAt) / 1000;
      const realWait = (Date.parse(startedAt) - probe.quotedAt) / 1000;
      quoteRows.push({
        who: probe.who,
        quotedPosition: probe.quote.position,
        submittedPosition: probe.job.queuePosition,
        quotedCredits: probe.quote.credits,
        chargedCredits: creditsCharged,
        quotedWaitSeconds: quotedWait === null ? null : round1(quotedWait),
        realWaitSeconds: round1(realWait),
        errorPercent: quotedWait === null ? null : round1(((quotedWait - realWait) / Math.max(realWait, 0.1)) * 100),
      });
    }
    // Small waits are dominated by a fraction of a job's service time; judge accuracy where the
    // queue is the wait (at least two seconds), which is what the ETA is for.
    const judged = etaRows.filter((row) => row.actualSeconds >= 2 && row.errorPercent !== null);
    const withinTarget = judged.filter((row) => Math.abs(row.errorPercent) <= 25).length;
    const quotesJudged = quoteRows.filter((row) => row.realWaitSeconds >= 2 && row.errorPercent !== null);
    const quotesWithin = quotesJudged.filter((row) => Math.abs(row.errorPercent) <= 25).length;
    const costsExact = quoteRows.every((row) => row.quotedCredits === row.chargedCredits);

    return {
      fairness: {
        workers: workers.length,
        mockLatencyMs: LATENCY_MS,
        backlogSubmitted: BACKLOG,
        backlogLeftWhenBSubmitted: aQueuedAtSubmit,
        bWaitSeconds: round1(bWaitMs / 1000),
        aJobsStartedBeforeB: aStartedBefore,
        fifoBaselineWaitSeconds: round1(fifoWaitMs / 1000),
        meanServiceMs: Math.round(serviceMs),
        targetBWaitSeconds: 2,
        met: bWaitMs <= 2000,
      },
      eta: {
        probes: etaRows,
        judged: judged.length,
        withinTarget,
        targetPercent: 25,
        met: judged.length > 0 && withinTarget === judged.length,
      },
      quotes: {
        probes: quoteRows,
        costsExact,
        judged: quotesJudged.length,
        withinTarget: quotesWithin,
        targetPercent: 25,
        met: costsExact && quotesJudged.length > 0 && quotesWithin === quotesJudged.length,
      },
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await callers.close();
    await db.$disconnect();
    await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function meanServiceMs(db) {
  const [row] = await db.$queryRaw`
    select avg(extract(epoch from (finished_at - started_at)) * 1000)::float8 as ms
    from jobs where status = 'succeeded' and finished_at > now() - interval '1 minute'`;
  return row?.ms ?? LATENCY_MS;
}

async function waitFor(check, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const round1 = (n) => Math.round(n * 10) / 10;
