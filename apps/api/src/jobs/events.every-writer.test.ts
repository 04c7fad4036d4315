/**
 * Every writer of `job_events` writes core's shapes: the TS writers (lifecycle, the worker's run) and
 * the plpgsql ones (darkroom_accept_job, darkroom_claim_job). Jobs are driven through every path, by the
 * real API (its callers) and the worker's real pipeline (with vendors scripted), then every row of the
 * table is parsed strictly with `JobEventView`: an unknown type, a missing or an extra field fails here.
 */
import { JOB_EVENT_TYPES, JobEventView, type ProviderName } from '@darkroom/core';
import { lifecycle, recordQueuePositions } from '@darkroom/db';
import { createMockProvider, ProviderError, type GenerateRequest, type ImageProvider } from '@darkroom/providers';
import type { ImageStorage } from '@darkroom/storage';
import { runJob, type PipelineDeps } from '@darkroom/worker';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

const FAST = { maxAttempts: 3, baseMs: 1, capMs: 5, maxRetryAfterMs: 5 };

/** The mock vendor under a script: call n succeeds, throws, or hangs until aborted. */
function scripted(
  name: ProviderName,
  script: (call: number, request: GenerateRequest) => 'ok' | 'hang' | ProviderError,
) {
  const mock = createMockProvider();
  let calls = 0;
  const provider: ImageProvider = {
    ...mock,
    name,
    async generate(request) {
      const step = script(++calls, request);
      if (step instanceof ProviderError) throw step;
      if (step === 'hang') {
        await new Promise((_, reject) =>
          request.signal?.addEventListener('abort', () => reject(new ProviderError('canceled', 'aborted'))),
        );
      }
      return mock.generate(request);
    },
  };
  return provider;
}

const ok = () => scripted('mock', () => 'ok');

function deps(provider: ImageProvider, extra: Partial<PipelineDeps> = {}): PipelineDeps {
  return {
    db: h.db,
    storage: h.storage,
    providerFor: () => provider,
    log: pino({ level: 'silent' }),
    workerId: 'every-writer',
    imageConcurrency: 1,
    imageRetry: FAST,
    storeRetry: FAST,
    ...extra,
  };
}

async function submit(prompt: string, extra: { numImages?: number; priority?: 'low' | 'normal' } = {}) {
  return h.caller.jobs.create({ prompt, provider: 'mock', ...extra });
}

async function statusOf(id: string) {
  return (await h.caller.jobs.get({ id })).status;
}

describe('every job event written', () => {
  it('parses strictly with the union, and every event type is written by some path', async () => {
    // Success, with a vendor that reports its queue; then one with a warning (its moderation raised to the
    // deployment's minimum).
    const success = await submit('success');
    const reporting = scripted('mock', (_call, request) => {
      request.onVendorStatus?.({ state: 'queued', queuePosition: 3 });
      request.onVendorStatus?.({ state: 'running' });
      return 'ok';
    });
    await runJob(deps(reporting), success.id);
    expect(await statusOf(success.id)).toBe('succeeded');

    const warned = await h.caller.jobs.create({ prompt: 'raised', provider: 'mock', moderation: 'relaxed' });
    await runJob(deps(ok(), { moderationMin: 'standard' }), warned.id);
    expect(await statusOf(warned.id)).toBe('succeeded');

    // Partial failure: one image refused, one retried after a transient error, then made.
    const partial = await submit('partial', { numImages: 2 });
    const partly = scripted('mock', (call) =>
      call === 1
        ? new ProviderError('invalid_request', 'refused')
        : call === 2
          ? new ProviderError('transient', '503')
          : 'ok',
    );
    await runJob(deps(partly), partial.id);
    const partialEnd = await h.caller.jobs.get({ id: partial.id });
    expect(partialEnd.images.map((image) => image.status).sort()).toEqual(['failed', 'succeeded']);

    // Failure, then a retry of it that succeeds.
    const failure = await submit('failure');
    await runJob(deps(scripted('mock', () => new ProviderError('content_filtered', 'no'))), failure.id);
    expect(await statusOf(failure.id)).toBe('failed');
    await h.caller.jobs.retry({ id: failure.id });
    await runJob(deps(ok()), failure.id);
    expect(await statusOf(failure.id)).toBe('succeeded');

    // A provider down falls back to the next one.
    const fellBack = await submit('fell back');
    const fallback = createMockProvider();
    const down = scripted('mock', () => new ProviderError('auth', 'key revoked'));
    await runJob(
      deps(down, {
        providerFor: (name) => (name === 'local' ? { ...fallback, name: 'local' } : down),
        fallbackOrder: ['local'],
      }),
      fellBack.id,
    );
    expect(await statusOf(fellBack.id)).toBe('succeeded');

    // Storing fails once: the bytes are stored again, the vendor is not called again.
    const stored = await submit('store retry');
    let storeFailures = 1;
    const flaky: ImageStorage = {
      ...h.storage,
      async put(key, body, mime) {
        if (storeFailures-- > 0) throw new Error('EIO: the disk hiccuped');
        return h.storage.put(key, body, mime);
      },
    };
    await runJob(deps(ok(), { storage: flaky }), stored.id);
    expect(await statusOf(stored.id)).toBe('succeeded');

    // Cancel while queued; cancel while running.
    const queued = await submit('cancel queued');
    // The worker's position pass (once a second in a running worker) records its place in the queue.
    expect(await recordQueuePositions(h.db)).toBeGreaterThan(0);
    await h.caller.jobs.cancel({ id: queued.id });
    const running = await submit('cancel running');
    const hanging = runJob(
      deps(
        scripted('mock', () => 'hang'),
        { cancelCheckMs: 50 },
      ),
      running.id,
    );
    await eventually(async () => (await statusOf(running.id)) === 'running');
    await h.caller.jobs.cancel({ id: running.id });
    await hanging;
    expect(await statusOf(running.id)).toBe('canceled');

    // A worker shutting down hands the job back; a low-priority job waiting is promoted; nobody runs it
    // any more and the sweep ends it abandoned.
    const released = await submit('released', { priority: 'low' });
    const drain = new AbortController();
    drain.abort('shutdown');
    expect(await runJob(deps(ok(), { drainSignal: drain.signal }), released.id)).toMatchObject({ kind: 'released' });
    expect(await lifecycle.promoteAgedJobs(h.db, 0)).toContain(released.id);
    await h.db.$executeRaw`delete from graphile_worker._private_jobs where key = ${released.id}`;
    await h.db.$executeRaw`update jobs set updated_at = now() - interval '1 hour' where id = ${released.id}::uuid`;
    expect((await lifecycle.endAbandonedJobs(h.db, { graceSeconds: 60 })).map((end) => end.id)).toContain(released.id);

    // A start deadline passed before any worker took it.
    const late = await h.caller.jobs.create({
      prompt: 'too late',
      provider: 'mock',
      startBy: new Date(Date.now() + 60_000).toISOString(),
    });
    await h.db.$executeRaw`update jobs set start_by = now() - interval '1 second' where id = ${late.id}::uuid`;
    expect(await lifecycle.failExpiredStarts(h.db)).toContain(late.id);

    // Every row, strictly.
    const rows = await h.db.jobEvent.findMany({ orderBy: { id: 'asc' } });
    const problems = rows.flatMap((row) => {
      const parsed = JobEventView.safeParse({
        id: row.id.toString(),
        type: row.type,
        data: row.data,
        createdAt: row.createdAt.toISOString(),
      });
      return parsed.success ? [] : [{ type: row.type, data: row.data, issues: parsed.error.issues }];
    });
    expect(problems).toEqual([]);
    expect(new Set(rows.map((row) => row.type))).toEqual(new Set(JOB_EVENT_TYPES));
    // What jobs.events answers is the same union.
    const timeline = await h.caller.jobs.events({ id: failure.id });
    expect(timeline.map((event) => event.type)).toContain('retried');
    expect(timeline.every((event) => event.type !== 'unrecognized')).toBe(true);
  });
});
