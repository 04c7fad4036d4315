/**
 * A request's `moderation` level from every surface (tRPC, REST, the OpenAI-compatible route) to the
 * vendor's wire, through a real API and a real worker, with the operator's MODERATION_MIN in between.
 * The vendor is the fake OpenAI server: what it received is what is asserted.
 */
import { startFakeOpenAI, type FakeOpenAI } from '@darkroom/providers/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

const OPENAI_KEY = 'sk-moderation-api-0123456789';
let openai: FakeOpenAI;
let h: Harness;

beforeAll(async () => {
  openai = await startFakeOpenAI({ apiKey: OPENAI_KEY });
  h = await makeHarness({
    settings: { enabledProviders: ['local', 'openai'] },
    server: { openAiWaitSeconds: 30 },
  });
});
afterAll(async () => {
  await h?.close();
  await openai?.close();
});

/** The `moderation` the vendor received for the job whose prompt is `prompt`. */
function sentFor(prompt: string): unknown {
  const post = openai.requests.find(
    (request) => request.method === 'POST' && JSON.parse(request.body.toString('utf8')).prompt.includes(prompt),
  );
  return post ? (JSON.parse(post.body.toString('utf8')) as { moderation?: string }).moderation : undefined;
}

async function finished(id: string) {
  return eventually(async () => {
    const job = await h.db.job.findUniqueOrThrow({ where: { id } });
    return ['succeeded', 'failed', 'canceled'].includes(job.status) ? job : null;
  });
}

describe('moderation, from the request to the vendor', () => {
  let worker: Awaited<ReturnType<Harness['startWorker']>>;
  const startWorker = async (moderationMin: string) => {
    await worker?.stop();
    worker = await h.startWorker({
      PROVIDERS_ENABLED: 'local,openai',
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: openai.baseUrl,
      MODERATION_MIN: moderationMin,
    });
  };

  it('a deployment that allows relaxed sends it on as OpenAI low, from tRPC, REST and /v1', async () => {
    await startWorker('relaxed');
    const viaTrpc = await h.caller.jobs.create({
      prompt: 'relaxed via trpc',
      provider: 'openai',
      moderation: 'relaxed',
    });
    const viaRest = await h.inject({
      method: 'POST',
      url: '/api/v1/generations',
      payload: { prompt: 'relaxed via rest', provider: 'openai', moderation: 'relaxed' },
    });
    const viaOpenAi = await h.inject({
      method: 'POST',
      url: '/v1/images/generations',
      payload: { prompt: 'low via the openai route', model: 'openai', moderation: 'low', response_format: 'b64_json' },
    });

    expect([viaRest.statusCode, viaOpenAi.statusCode]).toEqual([202, 200]);
    await finished(viaTrpc.id);
    await finished(viaRest.json<{ jobId: string }>().jobId);
    const rows = await h.db.job.findMany({ where: { prompt: { contains: 'via' } }, orderBy: { createdAt: 'asc' } });
    expect(rows.map((job) => [job.prompt, job.moderation, job.status])).toEqual([
      ['relaxed via trpc', 'relaxed', 'succeeded'],
      ['relaxed via rest', 'relaxed', 'succeeded'],
      ['low via the openai route', 'relaxed', 'succeeded'],
    ]);
    expect(['relaxed via trpc', 'relaxed via rest', 'low via the openai route'].map(sentFor)).toEqual([
      'low',
      'low',
      'low',
    ]);
  });

  it('under the default minimum (standard), relaxed runs at standard and the timeline says so', async () => {
    await startWorker('standard');

    const job = await h.caller.jobs.create({ prompt: 'relaxed, raised', provider: 'openai', moderation: 'relaxed' });
    const unset = await h.caller.jobs.create({ prompt: 'no level named', provider: 'openai' });

    expect((await finished(job.id)).status).toBe('succeeded');
    expect((await finished(unset.id)).moderation).toBe('standard');
    expect([sentFor('relaxed, raised'), sentFor('no level named')]).toEqual(['auto', 'auto']);
    const events = await h.caller.jobs.events({ id: job.id });
    expect(events.filter((event) => event.type === 'warning').map((event) => event.data)).toEqual([
      {
        stage: 'generating',
        message: "moderation relaxed is below this deployment's minimum; the images are made at standard",
      },
    ]);
  });

  it('refuses a level that is not one, naming the field, and writes nothing', async () => {
    const before = await h.db.job.count();

    const rest = await h.inject({
      method: 'POST',
      url: '/api/v1/generations',
      payload: { prompt: 'x', moderation: 'off' },
    });
    const openAi = await h.inject({
      method: 'POST',
      url: '/v1/images/generations',
      payload: { prompt: 'x', model: 'local', moderation: 'none' },
    });
    const trpc = await h.caller.jobs
      .create({ prompt: 'x', moderation: 'none' as 'strict' })
      .catch((error: { code: string }) => error.code);

    expect(rest.statusCode).toBe(400);
    expect(JSON.stringify(rest.json())).toContain('moderation');
    expect([openAi.statusCode, openAi.json<{ error: { param: string } }>().error.param]).toEqual([400, 'moderation']);
    expect(trpc).toBe('BAD_REQUEST');
    expect(await h.db.job.count()).toBe(before);
  });
});
