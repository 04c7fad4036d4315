/**
 * jobs.quote and POST /api/v1/quotes: a request's cost and place without submitting it. Each quote is
 * checked against the submit that follows it in the same state: the same credits, the same place, the
 * same refusals; and a quote writes nothing.
 */
import { TRPCError } from '@trpc/server';
import type { JobRequestInput } from '@darkroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness({
    settings: {
      prices: { local: 1, mock: 1, 'mock/high': 3 },
      allowedPriorities: ['low', 'normal', 'high'],
    },
  });
});
afterAll(() => h.close());

async function written() {
  const [jobs, images, entries, queued, events] = await Promise.all([
    h.db.job.count(),
    h.db.image.count(),
    h.db.creditEntry.count(),
    h.db.$queryRaw<{ n: bigint }[]>`select count(*) as n from graphile_worker._private_jobs`,
    h.db.jobEvent.count(),
  ]);
  return { jobs, images, entries, queued: Number(queued[0]!.n), events };
}

describe('jobs.quote', () => {
  it('answers the credits and queue place the submit that follows gets, across priorities and users', async () => {
    const other = await h.makeUser('other@darkroom.test');
    const steps: [typeof h.caller, JobRequestInput][] = [
      [h.caller, { prompt: 'first', provider: 'mock', numImages: 2 }],
      [other.caller, { prompt: 'theirs', provider: 'mock' }],
      [h.caller, { prompt: 'second of mine', provider: 'mock', quality: 'high', numImages: 3 }],
      [h.caller, { prompt: 'urgent-ish', provider: 'mock', priority: 'high' }],
      [other.caller, { prompt: 'theirs again', provider: 'mock', priority: 'low' }],
      [other.caller, { prompt: 'a second of theirs', provider: 'local', numImages: 4 }],
      [h.caller, { prompt: 'low of mine', provider: 'mock', priority: 'low' }],
    ];
    for (const [caller, request] of steps) {
      const before = await written();
      const quote = await caller.jobs.quote(request);
      expect(await written()).toEqual(before);
      const job = await caller.jobs.create(request);
      expect({ position: quote.position, credits: quote.credits }).toEqual({
        position: job.queuePosition,
        credits: job.numImages * (request.quality === 'high' ? 3 : 1),
      });
      const held = await h.db.job.findUniqueOrThrow({ where: { id: job.id }, select: { creditsReserved: true } });
      expect(quote.credits).toBe(held.creditsReserved);
    }
  });

  it('refuses what the submit refuses, naming the same field, and writes nothing', async () => {
    const cases: JobRequestInput[] = [
      { prompt: 'p', provider: 'openai' },
      { prompt: 'p', priority: 'urgent' },
      { prompt: 'p', startBy: new Date(Date.now() - 60_000).toISOString() },
      { prompt: 'p', provider: 'mock', model: 'sdxl.safetensors' },
      { prompt: 'p', numImages: 0 },
    ];
    for (const request of cases) {
      const before = await written();
      const quoted = await h.caller.jobs.quote(request).catch((error: unknown) => error);
      const submitted = await h.caller.jobs.create(request).catch((error: unknown) => error);
      expect(quoted).toBeInstanceOf(TRPCError);
      expect(submitted).toBeInstanceOf(TRPCError);
      const { code, message, cause } = quoted as TRPCError;
      expect({ code, message, cause: JSON.stringify(cause) }).toEqual({
        code: (submitted as TRPCError).code,
        message: (submitted as TRPCError).message,
        cause: JSON.stringify((submitted as TRPCError).cause),
      });
      expect(await written()).toEqual(before);
    }
  });

  it('says when the balance does not cover it, without refusing the quote', async () => {
    const poor = await h.makeUser('poor@darkroom.test');
    await h.db.user.update({ where: { id: poor.user.id }, data: { creditBalance: 2 } });
    const quote = await poor.caller.jobs.quote({ prompt: 'three images', provider: 'mock', numImages: 3 });
    expect(quote).toMatchObject({ credits: 3, balance: 2, affordable: false });
    expect(await poor.caller.jobs.quote({ prompt: 'two', provider: 'mock', numImages: 2 })).toMatchObject({
      affordable: true,
    });
  });

  it('predicts the finish from the recent run time per image of the provider', async () => {
    const fresh = await makeHarness();
    try {
      const before = await fresh.caller.jobs.quote({ prompt: 'nothing to go by', provider: 'mock', numImages: 4 });
      expect(before.predictedFinishAt).toBeNull();
      // Empty queue: it would start at once.
      expect(before.position).toBe(0);
      expect(Date.parse(before.predictedStartAt!)).toBeLessThanOrEqual(Date.now());

      const worker = await fresh.startWorker({ MOCK_LATENCY_MS: '300', IMAGE_CONCURRENCY: '1' });
      try {
        for (let i = 0; i < 3; i++) {
          const job = await fresh.caller.jobs.create({ prompt: `history ${i}`, provider: 'mock', numImages: 2 });
          await expect
            .poll(async () => (await fresh.caller.jobs.get({ id: job.id })).status, { timeout: 20_000 })
            .toBe('succeeded');
        }
      } finally {
        await worker.stop();
      }
      const quote = await fresh.caller.jobs.quote({ prompt: 'four images', provider: 'mock', numImages: 4 });
      const run = (Date.parse(quote.predictedFinishAt!) - Date.parse(quote.predictedStartAt!)) / 1000;
      // Four images one after another at >= 300 ms each; well under 3 s each on any machine.
      expect(run).toBeGreaterThanOrEqual(1.2);
      expect(run).toBeLessThan(12);
      // Another provider has no history.
      expect((await fresh.caller.jobs.quote({ prompt: 'p', provider: 'local' })).predictedFinishAt).toBeNull();
    } finally {
      await fresh.close();
    }
  });
});

describe('POST /api/v1/quotes', () => {
  it('answers the quote over REST, and a refusal in the REST error shape', async () => {
    const ok = await h.inject({
      method: 'POST',
      url: '/api/v1/quotes',
      payload: { prompt: 'a quote over rest', provider: 'mock', numImages: 2 },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ credits: 2, pricePerImage: 1, affordable: true });

    const bad = await h.inject({ method: 'POST', url: '/api/v1/quotes', payload: { prompt: 'p', numImages: 99 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('BAD_INPUT');
    expect(JSON.stringify(bad.json())).toContain('numImages');

    const anonymous = await h.inject({
      method: 'POST',
      url: '/api/v1/quotes',
      payload: { prompt: 'p' },
      headers: { authorization: '' },
    });
    expect(anonymous.statusCode).toBe(401);
  });
});
