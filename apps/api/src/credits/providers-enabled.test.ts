/**
 * A job names the provider it is priced for and runs on: one this deployment does not run is refused at
 * submit, on every surface, before anything is written (it used to be accepted, priced as the named
 * provider and run on the default one).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
let base: string;
beforeAll(async () => {
  h = await makeHarness({
    settings: { startingCredits: 50, enabledProviders: ['local'], prices: { local: 5, openai: 2 } },
  });
  const server = await h.server();
  base = await server.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => h.close());

async function nothingWritten() {
  expect(await h.db.job.count({ where: { userId: h.user.id } })).toBe(0);
  expect((await h.caller.credits.get()).balance).toBe(50);
}

describe('a provider that is not enabled', () => {
  it('is refused over tRPC with BAD_REQUEST naming the provider and what is enabled', async () => {
    const error = (await h.caller.jobs
      .create({ prompt: 'which engine', provider: 'openai' })
      .catch((e: unknown) => e)) as { code: string; message: string };
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toBe('provider openai is not enabled here; enabled: local');
    await nothingWritten();
  });

  it('is refused over REST with 400 and details, and in a batch naming the request', async () => {
    const single = await h.inject({
      method: 'POST',
      url: '/api/v1/generations',
      payload: { prompt: 'which engine', provider: 'fal' },
    });
    expect(single.statusCode).toBe(400);
    expect(single.json().error).toMatchObject({
      code: 'BAD_INPUT',
      details: { field: 'provider', reason: 'provider_not_enabled', provider: 'fal', enabled: ['local'] },
    });
    const batch = (await h.caller.jobs
      .createBatch({
        requests: [
          { prompt: 'fine', provider: 'local' },
          { prompt: 'fine too' },
          { prompt: 'not here', provider: 'stability' },
        ],
      })
      .catch((e: unknown) => e)) as { code: string; message: string };
    expect(batch.code).toBe('BAD_REQUEST');
    expect(batch.message).toMatch(/^provider stability is not enabled here/);
    await nothingWritten();
  });

  it("is OpenAI's 400 model_not_found through the official SDK", async () => {
    const client = new OpenAI({ apiKey: h.apiKey, baseURL: `${base}/v1`, maxRetries: 0 });
    const error = await client.images.generate({ prompt: 'which engine', model: 'openai' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({
      status: 400,
      code: 'model_not_found',
      param: 'model',
      type: 'invalid_request_error',
    });
    await nothingWritten();
  });

  it('reserves the price of the provider that runs', async () => {
    const job = await h.caller.jobs.create({ prompt: 'this engine', numImages: 2 });
    expect(job.provider).toBe('local');
    expect((await h.caller.credits.get()).balance).toBe(40);
  });
});
