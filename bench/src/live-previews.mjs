// Previews on against previews off (previews issue, "Done when"): the same jobs run by the same worker
// with the `local` provider, which renders in three passes of LOCAL_PASS_MS each (whether or not anyone
// watches, as an engine's steps take their time), once with PREVIEWS=false and once with PREVIEWS=true,
// alternating (off, on, off, on) so drift in the machine's load falls on both. With previews on, the
// worker also renders, encodes, writes and announces a preview per pass: that is what the comparison
// prices. Each round submits JOBS one-image jobs at once and times them until all have succeeded
// (throughput), while one `jobs.feed` subscriber (SSE, one API process) receives every change: for each
// update received (a view whose `updatedAt` is new; the queue-position pass also re-sends unchanged
// views, which are not updates), the delay from that `updatedAt` (Postgres' now() in the writing
// transaction, so a little before its commit: the figure errs long) to its arrival. With previews on,
// the updates that carried a new preview are counted apart.
//
// Targets: commit -> subscriber p99 <= 100 ms with previews on; throughput on within 10 % of off.
import { createDarkroomClient } from '@darkroom/client';
import { round1, signUpForKey, sleep, startStack, stopChild } from './support.mjs';

const JOBS = Number(process.env.BENCH_PREVIEW_JOBS ?? 16);
const ROUNDS = 2;
const CONCURRENCY = 2;
const PASS_MS = 500;

export async function previewsScenario() {
  const stack = await startStack('live-previews');
  try {
    const api = await stack.startApi();
    const apiKey = await signUpForKey(api.url, 'previews@bench.example');
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const rounds = { off: [], on: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const previews of ['off', 'on']) rounds[previews].push(await runRound(stack, darkroom, previews, round));
    }
    const total = (mode) => {
      const jobs = rounds[mode].reduce((sum, row) => sum + row.jobs, 0);
      const seconds = rounds[mode].reduce((sum, row) => sum + row.seconds, 0);
      return { jobs, seconds: round1(seconds), jobsPerSecond: round1(jobs / seconds) };
    };
    const off = total('off');
    const on = total('on');
    const delays = (mode, pick) => summarize(rounds[mode].flatMap((row) => row.delays.filter(pick).map((d) => d.ms)));
    const onAll = delays('on', () => true);
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
      'job update (updatedAt) -> feed subscriber on the API process (ms)': [
        { previews: 'off', updates: 'all', ...delays('off', () => true) },
        { previews: 'on', updates: 'all', ...onAll },
        { previews: 'on', updates: 'carrying a new preview', ...delays('on', (d) => d.preview) },
      ],
      target: [
        { target: 'previews on: p99 <= 100 ms', value: onAll.p99, met: onAll.p99 !== null && onAll.p99 <= 100 },
        { target: 'throughput on within 10 % of off', value: `${Math.round(ratio * 100)} %`, met: ratio >= 0.9 },
      ],
    };
  } finally {
    await stack.stop();
  }
}

async function runRound(stack, darkroom, previews, round) {
  const worker = await stack.startWorker({
    WORKER_ID: `previews-${previews}-${round}`,
    WORKER_CONCURRENCY: String(CONCURRENCY),
    PREVIEWS: previews === 'on' ? 'true' : 'false',
    LOCAL_PASS_MS: String(PASS_MS),
  });
  const delays = [];
  const versions = new Map();
  const lastUpdate = new Map();
  let previewsSeen = 0;
  const ids = new Set();
  const done = new Set();
  let allDone;
  const finished = new Promise((resolve) => (allDone = resolve));
  const subscription = darkroom.trpc.jobs.feed.subscribe(undefined, {
    onData: ({ data: job }) => {
      const ms = Date.now() - Date.parse(job.updatedAt);
      let preview = false;
      for (const image of job.images ?? []) {
        const url = image.preview?.url;
        if (url && versions.get(image.id) !== url) {
          versions.set(image.id, url);
          preview = true;
          previewsSeen++;
        }
      }
      if (!ids.has(job.id)) return;
      if (lastUpdate.get(job.id) !== job.updatedAt) delays.push({ ms, preview });
      lastUpdate.set(job.id, job.updatedAt);
      if (job.status === 'succeeded') done.add(job.id);
      if (done.size === JOBS) allDone();
    },
  });
  try {
    await sleep(300);
    const started = performance.now();
    const jobs = await Promise.all(
      Array.from({ length: JOBS }, (_, i) =>
        darkroom.submit({ prompt: `preview round ${round} job ${i}`, provider: 'local', numImages: 1, seed: i }),
      ),
    );
    for (const job of jobs) ids.add(job.id);
    // Views may have arrived before the submits answered; a poll settles any end missed that way.
    const poll = setInterval(async () => {
      for (const id of ids)
        if (!done.has(id) && (await darkroom.trpc.jobs.get.query({ id })).status === 'succeeded') done.add(id);
      if (done.size === JOBS) allDone();
    }, 2000);
    await Promise.race([finished, sleep(300_000).then(() => Promise.reject(new Error('previews round timed out')))]);
    clearInterval(poll);
    return { jobs: JOBS, seconds: (performance.now() - started) / 1000, delays, previewsSeen };
  } finally {
    subscription.unsubscribe();
    await stopChild(worker);
  }
}

function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => (sorted.length ? round1(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]) : null);
  return { samples: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}
