// Scale and memory: many finished jobs and 100,000 queued ones in the tables (inserted with SQL in
// bulk, queued ones with their graphile-worker entries), then
//  - memory: RSS of the API process and of a worker process (mock provider busy 60 s per image, so it
//    holds its jobs while the queue stays full) after 15 s of running and the reads below. Target: each
//    under 300 MB.
//  - scale: p99 of `jobs.get` (a finished job), `jobs.list` (first page), queue position (`jobs.get` of
//    the last queued job) and `queue.status`, 200 serial calls each over HTTP with an API key.
//    Target: each under 20 ms.
// Baseline for the reads, same run: the same calls on an empty account (one job).
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { percentiles, signUpForKey, sleep, startStack, trpc } from './support.mjs';

const QUEUED = 100_000;
const FINISHED = Number(process.env.BENCH_SCALE_FINISHED ?? 1_000_000);
const CHUNK = 250_000;
const SAMPLES = 200;

export async function scaleScenario() {
  const stack = await startStack('scale');
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  try {
    await client.connect();
    const api = await stack.startApi();
    const apiKey = await signUpForKey(api.url, 'scale@bench.example');
    const small = await trpc(api.url, apiKey, 'jobs.create', {
      prompt: 'before the load',
      provider: 'mock',
      numImages: 1,
    });
    const reads = (queuedId) => [
      ['jobs.get (finished job)', 'jobs.get', { id: small.id }],
      ['jobs.list (first page)', 'jobs.list', { limit: 20 }],
      ['queue position (jobs.get of a queued job)', 'jobs.get', { id: queuedId }],
      ['queue.status', 'queue.status', undefined],
    ];
    const measure = async (queuedId) => {
      const rows = [];
      for (const [name, procedure, input] of reads(queuedId)) {
        const times = [];
        for (let i = 0; i < SAMPLES + 10; i++) {
          const before = performance.now();
          await trpc(api.url, apiKey, procedure, input, { method: 'GET' });
          if (i >= 10) times.push(performance.now() - before);
        }
        rows.push({ read: name, ...percentiles(times) });
      }
      return rows;
    };
    const empty = await measure(small.id);

    const { rows: users } = await client.query(`select id from users where email = 'scale@bench.example'`);
    const userId = users[0].id;
    const insertStarted = performance.now();
    for (let done = 0; done < FINISHED; done += CHUNK) {
      await insertJobs(client, userId, Math.min(CHUNK, FINISHED - done), 'finished');
    }
    const finishedSeconds = (performance.now() - insertStarted) / 1000;
    for (let done = 0; done < QUEUED; done += CHUNK) {
      await insertJobs(client, userId, Math.min(CHUNK, QUEUED - done), 'queued');
    }
    // What autovacuum does on its own soon after a bulk insert (statistics, and the visibility map that
    // lets the queue counts read only the index); run here so the reads do not race it.
    await client.query('vacuum (analyze)');
    const insertSeconds = (performance.now() - insertStarted) / 1000;
    const { rows: last } = await client.query(
      `select id from jobs where status = 'queued' order by queue_rank desc, created_at desc, id desc limit 1`,
    );
    const plans = await explainReads(client, userId, last[0].id);

    const worker = await stack.startWorker({ MOCK_LATENCY_MS: '60000', WORKER_CONCURRENCY: '2' });
    const loaded = await measure(last[0].id);
    await sleep(15_000);
    const memory = [
      { process: 'API', rssMB: rssMB(api.child.pid) },
      { process: 'worker', rssMB: rssMB(worker.pid) },
    ].map((row) => ({ ...row, targetMB: 300, met: row.rssMB < 300 }));

    return {
      [`reads, ${SAMPLES} serial calls each, ${FINISHED.toLocaleString('en')} finished + ${QUEUED.toLocaleString('en')} queued jobs (ms)`]:
        loaded.map((row) => ({ ...row, target: 20, met: row.p99 < 20 })),
      'baseline: the same reads on an empty account (ms)': empty,
      [`memory with ${QUEUED.toLocaleString('en')} queued jobs`]: memory,
      'plans at full size (EXPLAIN ANALYZE)': plans,
      setup: {
        finishedJobs: FINISHED,
        queuedJobs: QUEUED,
        finishedInsertSeconds: Math.round(finishedSeconds),
        totalInsertSeconds: Math.round(insertSeconds),
      },
    };
  } finally {
    await client.end().catch(() => {});
    await stack.stop();
  }
}

/** Execution time and the top plan node of the statements behind the loaded reads. */
async function explainReads(client, userId, queuedId) {
  const {
    rows: [job],
  } = await client.query(`select queue_rank, created_at from jobs where id = $1`, [queuedId]);
  const { rows: pageIds } = await client.query(
    `select id from jobs where user_id = $1 order by created_at desc, id desc limit 20`,
    [userId],
  );
  const { rows: page } = await client.query(
    `select id, queue_rank, created_at from jobs where id = any($1::uuid[]) and status = 'queued' order by queue_rank, created_at, id`,
    [pageIds.map((row) => row.id)],
  );
  const statements = [
    [
      'queue position of the last queued job',
      `select count(*) from jobs where status = 'queued' and (queue_rank, created_at, id) < ($1::int, $2, $3::uuid)`,
      [job.queue_rank, job.created_at, queuedId],
    ],
    [
      'first page of jobs.list',
      `select * from jobs where user_id = $1 order by created_at desc, id desc limit 21`,
      [userId],
    ],
    queuePlacesStatement(page),
    [
      'queue.status: queued by priority',
      `select priority, count(*) from jobs where status = 'queued' group by priority`,
      [],
    ],
  ];
  const plans = [];
  for (const [statement, sql, params] of statements) {
    const { rows } = await client.query(`explain (analyze, buffers) ${sql}`, params);
    const lines = rows.map((row) => row['QUERY PLAN']);
    const scan =
      lines
        .find((line) => /Scan/.test(line))
        ?.trim()
        .replace(/\s+\(cost=.*$/, '') ?? '';
    plans.push({ statement, executionMs: Number(/Execution Time: ([\d.]+)/.exec(lines.at(-1))?.[1]), scan });
  }
  return plans;
}

/** The statement queuePlacesOf (packages/db/src/job-views.ts) sends for a page of queued jobs in queue order. */
function queuePlacesStatement(page) {
  const params = [];
  const key = (job) =>
    `($${params.push(job.queue_rank)}::int, $${params.push(job.created_at)}::timestamptz, $${params.push(job.id)}::uuid)`;
  const first = page[0];
  const stretches = page.map(
    (job) =>
      `(select count(*) from jobs where status = 'queued' and (queue_rank, created_at, id) >= ${key(first)} and (queue_rank, created_at, id) < ${key(job)})`,
  );
  const sql = `select (select count(*) from jobs where status = 'queued' and (queue_rank, created_at, id) < ${key(first)}) as before_first, array[${stretches.join(', ')}]::bigint[] as stretches`;
  return ['queue places of that page (queuePlacesOf)', sql, params];
}

/** `count` one-image jobs (normal priority, one user's backlog: ranks as the API gives them) of the user in one statement each for jobs, images and (queued) queue entries. */
async function insertJobs(client, userId, count, kind) {
  const finished = kind === 'finished';
  await client.query('begin');
  // Bulk rows of one known user: row triggers (live-update NOTIFYs, the search vector, foreign-key
  // checks) are skipped for the load, as a restore would.
  await client.query(`set local session_replication_role = replica`);
  await client.query(
    `create temporary table new_jobs on commit drop as
     select uuidv7() as id, n from generate_series(1, $1::int) n`,
    [count],
  );
  await client.query(
    `insert into jobs (id, user_id, preset, prompt, aspect_ratio, width, height, provider, num_images, status, queue_rank,
                       attempts, credit_price, credits_reserved, credits_charged, created_at, started_at, finished_at, updated_at, progress)
     select id, $1::uuid, 'illustration', 'bulk ' || n, '1:1', 512, 512, 'mock', 1, $2::"JobStatus", -16000 + least(n, 7999),
            $3::int, 1, $4::int, $3::int, now() - case when $5 then interval '30 days' else interval '10 minutes' end + n * interval '1 ms',
            case when $5 then now() - interval '1 day' end, case when $5 then now() - interval '1 day' end, now(), $6::int
     from new_jobs`,
    [userId, finished ? 'succeeded' : 'queued', finished ? 1 : 0, finished ? 0 : 1, finished, finished ? 100 : 0],
  );
  await client.query(
    `insert into images (id, job_id, index, status, updated_at)
     select uuidv7(), id, 0, $1::"ImageStatus", now() from new_jobs`,
    [finished ? 'succeeded' : 'pending'],
  );
  if (!finished) {
    await client.query(
      `select graphile_worker.add_jobs(array(
         select json_populate_record(null::graphile_worker.job_spec,
           json_build_object('identifier', 'generate', 'payload', json_build_object('jobId', id::text), 'job_key', id::text, 'priority', -16000 + least(n, 7999)))
         from new_jobs))`,
    );
  }
  await client.query('commit');
}

function rssMB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024);
}
