// Previews on against previews off (previews issue, "Done when"): the same jobs run by the same worker
// with the `local` provider, which renders in three passes of LOCAL_PASS_MS each (whether or not anyone
// watches, as an engine's steps take their time), once with PREVIEWS=false and once with PREVIEWS=true,
// alternating (off, on, off, on) so drift in the machine's load falls on both. With previews on, the
// worker also renders, encodes, writes and announces a preview per pass: that is what the comparison
// prices. Each round queues JOBS one-image jobs at once on one API process, lets their views arrive,
// then starts the round's worker and times the jobs until all have succeeded (throughput), while one
// `jobs.feed` subscriber (SSE) on a second API process (a deployment's other replica) receives every
// change. The target is timed on the updates of the run; the views of the burst of 16 creates at once
// are shown apart (on 2 cores the burst takes both cores for a few hundred ms: its views wait for it).
//
// Delivery is timed from the commit: a bare LISTEN on the jobs channel, in this process, hears each
// job's NOTIFY as its transaction commits; each update the subscriber receives (a view whose `updatedAt`
// is new: the queue-position pass also re-sends unchanged views, which are not updates) is timed from
// the first commit of that job it had not yet seen (several commits collapsed into one view count from
// the first: the figure errs long). The same updates timed from their `updatedAt` (now() at the start of
// the writing transaction) are shown beside: that figure also holds the transaction's own time, which a
// burst of submits from one account spends queued on the account's row lock. With previews on, the
// updates that carried a new preview are counted apart.
import { createDarkroomClient } from '@darkroom/client';
import pg from 'pg';
import { round1, signUpForKey, sleep, startStack, stopChild } from './support.mjs';

const JOBS = Number(process.env.BENCH_PREVIEW_JOBS ?? 16);
const ROUNDS = 2;
const CONCURRENCY = 2;
const PASS_MS = 500;

export async function previewsScenario() {
  const stack = await startStack('live-previews');
  try {
    // Two API processes, as a deployment has replicas: the submits go to one, the subscriber follows
    // on the other.
    const submitApi = await stack.startApi();
    const followApi = await stack.startApi();
    const apiKey = await signUpForKey(submitApi.url, 'previews@bench.example');
    const clients = {
      submit: createDarkroomClient({ url: submitApi.url, apiKey }),
      follow: createDarkroomClient({ url: followApi.url, apiKey }),
    };
    const rounds = { off: [], on: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const previews of ['off', 'on']) rounds[previews].push(await runRound(stack, clients, previews, round));
    }
    const total = (mode) => {
      const jobs = rounds[mode].reduce((sum, row) => sum + row.jobs, 0);
      const seconds = rounds[mode].reduce((sum, row) => sum + row.seconds, 0);
      return { jobs, seconds: round1(seconds), jobsPerSecond: round1(jobs / seconds) };
    };
    const off = total('off');
    const on = total('on');
    const delays = (mode, pick, from = 'commit') =>
      summarize(rounds[mode].flatMap((row) => row.delays.filter(pick).map((d) => d[from])));
    const running = (d) => !d.burst;
    const onAll = delays('on', running);
    const ratio = on.jobsPerSecond / off.jobsPerSecond;
    return {
      [`${JOBS} one-image local jobs per round, ${ROUNDS} rounds each, worker ${CONCURRENCY} at a time, ${PASS_MS} ms passes`]:
        [
          { previews: 'off', ...off, ofOff: '100 %', previewsSeen: 0 },
          {
            previews: 'on',
            ...on,
            ofOff: `${Math.round(ratio * 100)} %`,
            previewsSeen: rounds.on.reduce((sum, row) => sum + row.previewsSeen, 0),
          },
        ],
      'job update commit (NOTIFY at a bare LISTEN) -> feed subscriber on the other API process (ms)': [
        { previews: 'off', updates: 'while the jobs run', ...delays('off', running) },
        { previews: 'on', updates: 'while the jobs run', ...onAll },
        { previews: 'on', updates: 'carrying a new preview', ...delays('on', (d) => d.preview) },
        {
          previews: 'off',
          updates: `the burst of ${JOBS} submits (queued, no worker)`,
          ...delays('off', (d) => d.burst),
        },
        {
          previews: 'on',
          updates: `the burst of ${JOBS} submits (queued, no worker)`,
          ...delays('on', (d) => d.burst),
        },
      ],
      'the same from their updatedAt (start of the writing transaction; errs long) (ms)': [
        { previews: 'off', updates: 'while the jobs run', ...delays('off', running, 'updatedAt') },
        { previews: 'on', updates: 'while the jobs run', ...delays('on', running, 'updatedAt') },
        { previews: 'on', updates: 'carrying a new preview', ...delays('on', (d) => d.preview, 'updatedAt') },
      ],
      target: [
        {
          target: 'previews on, while the jobs run: commit -> subscriber p99 <= 100 ms',
          value: onAll.p99,
          met: onAll.p99 !== null && onAll.p99 <= 100,
        },
        { target: 'throughput on within 10 % of off', value: `${Math.round(ratio * 100)} %`, met: ratio >= 0.9 },
      ],
    };
  } finally {
    await stack.stop();
  }
}

async function runRound(stack, { submit, follow }, previews, round) {
  let worker;
  const delays = [];
  const versions = new Map();
  const lastUpdate = new Map();
  // Per job, when the first commit the subscriber has not yet seen was announced.
  const unseenSince = new Map();
  const listener = new pg.Client({ connectionString: stack.databaseUrl });
  await listener.connect();
  listener.on('notification', ({ payload }) => {
    const { jobId } = JSON.parse(payload ?? '{}');
    if (jobId && !unseenSince.has(jobId)) unseenSince.set(jobId, performance.now());
  });
  await listener.query('LISTEN darkroom_jobs');
  let previewsSeen = 0;
  let burst = true;
  const ids = new Set();
  const done = new Set();
  let allDone;
  const finished = new Promise((resolve) => (allDone = resolve));
  const subscription = follow.trpc.jobs.feed.subscribe(undefined, {
    onData: ({ data: job }) => {
      const arrived = performance.now();
      const sinceUpdatedAt = Date.now() - Date.parse(job.updatedAt);
      let preview = false;
      for (const image of job.images ?? []) {
        const url = image.preview?.url;
        if (url && versions.get(image.id) !== url) {
          versions.set(image.id, url);
          preview = true;
          previewsSeen++;
        }
      }
      // This round's jobs, known by their prompt: their first views come before the submits answer.
      if (!job.prompt.startsWith(`preview round ${round} `)) return;
      // Every view answers the announcements before it (a re-sent one answers the position pass's).
      const since = unseenSince.get(job.id);
      unseenSince.delete(job.id);
      if (lastUpdate.get(job.id) !== job.updatedAt) {
        // The bare listener may hear a commit a moment after the API did: then 0, and the late
        // announcement is charged to the next view (long, not short).
        delays.push({ commit: since === undefined ? 0 : arrived - since, updatedAt: sinceUpdatedAt, preview, burst });
      }
      lastUpdate.set(job.id, job.updatedAt);
      if (job.status === 'succeeded') done.add(job.id);
      if (done.size === JOBS) allDone();
    },
  });
  try {
    await sleep(300);
    const jobs = await Promise.all(
      Array.from({ length: JOBS }, (_, i) =>
        submit.submit({ prompt: `preview round ${round} job ${i}`, provider: 'local', numImages: 1, seed: i }),
      ),
    );
    for (const job of jobs) ids.add(job.id);
    // The burst's views arrive; then the run starts, timed from before its worker is launched.
    await sleep(2000);
    burst = false;
    const started = performance.now();
    worker = await stack.startWorker({
      WORKER_ID: `previews-${previews}-${round}`,
      WORKER_CONCURRENCY: String(CONCURRENCY),
      PREVIEWS: previews === 'on' ? 'true' : 'false',
      LOCAL_PASS_MS: String(PASS_MS),
    });
    // Views may have arrived before the submits answered; a poll settles any end missed that way.
    const poll = setInterval(async () => {
      for (const id of ids)
        if (!done.has(id) && (await follow.trpc.jobs.get.query({ id })).status === 'succeeded') done.add(id);
      if (done.size === JOBS) allDone();
    }, 2000);
    await Promise.race([finished, sleep(300_000).then(() => Promise.reject(new Error('previews round timed out')))]);
    clearInterval(poll);
    return { jobs: JOBS, seconds: (performance.now() - started) / 1000, delays, previewsSeen };
  } finally {
    subscription.unsubscribe();
    await listener.end();
    if (worker) await stopChild(worker);
  }
}

function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => (sorted.length ? round1(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]) : null);
  return { samples: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}
