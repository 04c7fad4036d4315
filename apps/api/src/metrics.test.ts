import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from './server.js';
import { eventually, makeHarness, type Harness } from '../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

async function scrape(): Promise<string> {
  const response = await (await h.server()).inject({ method: 'GET', url: '/metrics' });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain/);
  return response.body;
}

/** The value of one sample, e.g. `darkroom_jobs_finished_total{status="succeeded"}`; 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((row) => row.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('/metrics', () => {
  it('reports the queue depth by priority from the database', async () => {
    const jobs = [
      await h.caller.jobs.create({ prompt: 'low 1', priority: 'low' }),
      await h.caller.jobs.create({ prompt: 'low 2', priority: 'low' }),
      await h.caller.jobs.create({ prompt: 'urgent', priority: 'urgent' }),
    ];

    const text = await scrape();

    expect(sample(text, 'darkroom_queue_depth{priority="low"}')).toBe(2);
    expect(sample(text, 'darkroom_queue_depth{priority="urgent"}')).toBe(1);
    expect(sample(text, 'darkroom_queue_depth{priority="normal"}')).toBe(0);
    for (const job of jobs) await h.caller.jobs.cancel({ id: job.id });
  });

  it('counts jobs created and finished, provider calls, and durations', async () => {
    const before = await scrape();
    const canceled = await h.caller.jobs.create({ prompt: 'never mind' });
    await h.caller.jobs.cancel({ id: canceled.id });
    await h.startWorker({ WORKER_ID: 'metrics' });
    const job = await h.caller.jobs.create({ prompt: 'counted', numImages: 3 });
    await eventually(async () => (await h.caller.jobs.get({ id: job.id })).status === 'succeeded');

    const after = await scrape();
    const delta = (series: string) => sample(after, series) - sample(before, series);

    expect(delta('darkroom_jobs_created_total{priority="normal"}')).toBe(2);
    expect(delta('darkroom_jobs_finished_total{status="canceled"}')).toBe(1);
    expect(delta('darkroom_jobs_finished_total{status="succeeded"}')).toBe(1);
    expect(delta('darkroom_provider_requests_total{provider="local",outcome="ok"}')).toBe(3);
    expect(delta('darkroom_provider_latency_seconds_count{provider="local"}')).toBe(3);
    expect(delta('darkroom_image_duration_seconds_count{provider="local"}')).toBe(3);
    expect(delta('darkroom_job_duration_seconds_count{status="succeeded"}')).toBe(1);
    expect(after).toMatch(
      /darkroom_http_request_duration_seconds_count\{method="GET",route="\/metrics",status="200"\} \d+/,
    );
    expect(after).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('asks for the token when one is configured', async () => {
    const guarded = await buildServer({
      db: h.db,
      databaseUrl: h.url,
      storage: h.storage,
      settings: h.settings,
      webDistDir: path.join(h.storageDir, 'none'),
      logLevel: 'silent',
      metricsToken: 'a-long-enough-metrics-token',
    });
    try {
      expect((await guarded.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
      for (const authorization of [
        'Bearer a-long-enough-metrics-toke',
        'Bearer a-long-enough-metrics-token-and-more',
        'a-long-enough-metrics-token',
        'Bearer ',
      ]) {
        expect(
          (await guarded.inject({ method: 'GET', url: '/metrics', headers: { authorization } })).statusCode,
          authorization,
        ).toBe(401);
      }
      const allowed = await guarded.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: 'Bearer a-long-enough-metrics-token' },
      });
      expect(allowed.statusCode).toBe(200);
      expect(allowed.body).toContain('darkroom_queue_depth');
    } finally {
      await guarded.close();
    }
  });
});
