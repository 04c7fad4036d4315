/**
 * The operator's content policy (PROMPT_FILTER) at submit, on every surface: a typed refusal naming the
 * field, before any credit is reserved or anything is written.
 */
import { parsePromptFilter } from '@darkroom/core';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
let base: string;
beforeAll(async () => {
  h = await makeHarness({ settings: { promptFilter: parsePromptFilter('gore, acme corp, /\\bcelebrity\\s+\\w+/') } });
  base = await (await h.server()).listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => h.close());

async function nothingWritten(balance: number) {
  expect(await h.db.job.count({ where: { userId: h.user.id } })).toBe(0);
  expect((await h.caller.credits.get()).balance).toBe(balance);
}

describe('PROMPT_FILTER', () => {
  it('refuses a matching prompt or style over tRPC and REST, naming the field, reserving nothing', async () => {
    const balance = (await h.caller.credits.get()).balance;
    const trpc = (await h.caller.jobs.create({ prompt: 'a lot of ＧＯＲＥ' }).catch((e: unknown) => e)) as {
      code: string;
      message: string;
    };
    expect(trpc.code).toBe('BAD_REQUEST');
    expect(trpc.message).toBe('the prompt is refused by this deployment\'s content policy (it matches "gore")');
    const rest = await h.inject({
      method: 'POST',
      url: '/api/v1/generations',
      payload: { prompt: 'a logo', style: 'ACME   Corp' },
    });
    expect(rest.statusCode).toBe(400);
    expect(rest.json().error).toMatchObject({
      code: 'BAD_INPUT',
      details: { field: 'style', reason: 'content_filtered' },
    });
    const batch = (await h.caller.jobs
      .createBatch({ requests: [{ prompt: 'a gorge' }, { prompt: 'celebrity Jane at the beach' }] })
      .catch((e: unknown) => e)) as { code: string; message: string };
    expect(batch.code).toBe('BAD_REQUEST');
    await nothingWritten(balance);
    // Whole words only: a gorge is not gore.
    expect((await h.caller.jobs.create({ prompt: 'a gorge at dawn' })).status).toBe('queued');
  });

  it("is OpenAI's 400 content_policy_violation through the official SDK", async () => {
    const client = new OpenAI({ apiKey: h.apiKey, baseURL: `${base}/v1`, maxRetries: 0 });
    const before = await h.db.job.count();
    const error = await client.images.generate({ prompt: 'gore and more' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, code: 'content_policy_violation', param: 'prompt' });
    expect(await h.db.job.count()).toBe(before);
  });
});
