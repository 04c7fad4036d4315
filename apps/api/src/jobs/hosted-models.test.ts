/**
 * A job names one of a hosted vendor's configured models (`*_MODELS`, as the worker writes them into the
 * catalog): submitted over tRPC, REST and /v1, priced per model, run by the worker's adapter against the
 * vendor's fake with that model on the wire, and recorded on the job view as the model that made the
 * image. A model the vendor's catalog lacks is refused at submit listing what it has, with nothing
 * written and no credit reserved.
 */
import { parsePriceTable } from '@darkroom/core';
import {
  startFakeFal,
  startFakeOpenAI,
  startFakeReplicate,
  type FakeFal,
  type FakeOpenAI,
  type FakeReplicate,
} from '@darkroom/providers/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';
import { refusalOf } from '../../test/refusal.js';

const OPENAI_KEY = 'sk-hosted-models-0123456789';
const REPLICATE_KEY = 'r8_hosted_models_0123456789';
const FAL_KEY = 'fal-hosted-models:0123456789';
let h: Harness;
let openai: FakeOpenAI;
let replicate: FakeReplicate;
let fal: FakeFal;

beforeAll(async () => {
  h = await makeHarness({
    settings: {
      startingCredits: 100,
      enabledProviders: ['local', 'openai', 'replicate', 'fal'],
      prices: parsePriceTable(
        'local:1,openai:4,openai/dall-e-3:9,replicate:1,replicate/black-forest-labs/flux-dev:3,fal:1,fal/fal-ai/flux/dev:2',
      ),
    },
  });
  [openai, replicate, fal] = await Promise.all([
    startFakeOpenAI({ apiKey: OPENAI_KEY }),
    startFakeReplicate({ apiKey: REPLICATE_KEY, pollsToFinish: 1 }),
    startFakeFal({ apiKey: FAL_KEY, queueAhead: 0 }),
  ]);
  await h.startWorker({
    PROVIDERS_ENABLED: 'local,openai,replicate,fal',
    PROVIDER_POLL_INTERVAL_MS: '10',
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_BASE_URL: openai.baseUrl,
    OPENAI_MODELS: 'dall-e-3,gpt-image-1-mini',
    REPLICATE_API_TOKEN: REPLICATE_KEY,
    REPLICATE_BASE_URL: replicate.url,
    REPLICATE_MODELS: 'black-forest-labs/flux-dev',
    FAL_KEY,
    FAL_BASE_URL: fal.url,
    FAL_MODELS: 'fal-ai/flux/dev',
  });
  // The worker writes the configured catalogs when it starts.
  await eventually(async () => (await h.db.providerCatalog.count()) === 4);
});
afterAll(async () => {
  await h.close();
  await Promise.all([openai.close(), replicate.close(), fal.close()]);
});

const balance = async () => (await h.db.user.findUniqueOrThrow({ where: { id: h.user.id } })).creditBalance;
const finished = (id: string) =>
  eventually(async () => {
    const view = await h.caller.jobs.get({ id });
    return ['succeeded', 'failed'].includes(view.status) ? view : null;
  });

describe('a hosted vendor model chosen per job', () => {
  it('openai: runs the named model, sent as `model`, priced per model, recorded on the job view', async () => {
    const before = await balance();
    const created = await h.caller.jobs.create({ prompt: 'a kite', provider: 'openai', model: 'dall-e-3' });
    expect(created.model).toBe('dall-e-3');
    const job = await finished(created.id);
    expect([job.status, job.images[0]!.model]).toEqual(['succeeded', 'dall-e-3']);
    const sent = JSON.parse(openai.requests.at(-1)!.body.toString('utf8')) as Record<string, unknown>;
    expect([sent.model, sent.response_format]).toEqual(['dall-e-3', 'b64_json']);
    expect(before - (await balance())).toBe(9);
  });

  it('openai without a model: the configured one, at the provider price, recorded', async () => {
    const before = await balance();
    const job = await finished((await h.caller.jobs.create({ prompt: 'a plain kite', provider: 'openai' })).id);
    expect([job.status, job.model ?? null, job.images[0]!.model]).toEqual(['succeeded', null, 'gpt-image-1']);
    expect(before - (await balance())).toBe(4);
  });

  it('replicate over REST: the model path, priced per model, recorded', async () => {
    const before = await balance();
    const response = await h.inject({
      method: 'POST',
      url: '/api/v1/generations',
      payload: { prompt: 'a tram', provider: 'replicate', model: 'black-forest-labs/flux-dev' },
    });
    expect(response.statusCode).toBe(202);
    const job = await finished(response.json().jobId);
    expect([job.status, job.images[0]!.model]).toEqual(['succeeded', 'black-forest-labs/flux-dev']);
    expect(replicate.requests.some((r) => r.path === '/v1/models/black-forest-labs/flux-dev/predictions')).toBe(true);
    expect(before - (await balance())).toBe(3);
  });

  it('fal over /v1 (`fal/<endpoint>`): submitted to that endpoint, recorded', async () => {
    const response = await h.inject({
      method: 'POST',
      url: '/v1/images/generations',
      payload: { prompt: 'a door', model: 'fal/fal-ai/flux/dev', response_format: 'b64_json' },
    });
    expect(response.statusCode).toBe(200);
    expect(fal.inputs.at(-1)!.model).toBe('fal-ai/flux/dev');
    const job = (await h.db.job.findFirstOrThrow({ where: { provider: 'fal' }, include: { images: true } }))!;
    expect([job.model, job.images[0]!.model]).toEqual(['fal-ai/flux/dev', 'fal-ai/flux/dev']);
  });

  it('refuses a model the catalog lacks, listing what the provider has: nothing written, no credit reserved', async () => {
    const [jobs, credits, creates] = [await h.db.job.count(), await balance(), replicate.creates];
    const error = await refusalOf(h.caller.jobs.create({ prompt: 'x', provider: 'openai', model: 'gpt-image-2' }));
    expect([error?.code, error?.message]).toEqual([
      'BAD_REQUEST',
      'openai has no model "gpt-image-2"; it has: gpt-image-1, dall-e-3, gpt-image-1-mini',
    ]);
    const rest = await h.inject({
      method: 'POST',
      url: '/api/v1/generations',
      payload: { prompt: 'x', provider: 'replicate', model: 'acme/other' },
    });
    expect(rest.statusCode).toBe(400);
    expect(rest.json().error).toMatchObject({
      code: 'BAD_INPUT',
      details: {
        field: 'model',
        reason: 'unknown_model',
        available: ['black-forest-labs/flux-schnell', 'black-forest-labs/flux-dev'],
      },
    });
    expect([await h.db.job.count(), await balance(), replicate.creates]).toEqual([jobs, credits, creates]);
  });

  it("refuses a named model that cannot run the job's kind at submit, naming it: nothing written, no credit held", async () => {
    const [jobs, credits] = [await h.db.job.count(), await balance()];
    const image = '0190b7e4-1111-7000-8000-000000000001';
    const error = await refusalOf(
      h.caller.jobs.create({ prompt: 'x', provider: 'openai', model: 'dall-e-3', inputs: { image } }),
    );
    expect([error?.code, error?.message]).toEqual([
      'BAD_REQUEST',
      'model dall-e-3 cannot run image-to-image on openai: dall-e-3 has no edits',
    ]);
    const rest = await h.inject({
      method: 'POST',
      url: '/api/v1/generations',
      payload: {
        prompt: 'x',
        provider: 'openai',
        model: 'dall-e-3',
        inputs: { image, mask: '0190b7e4-1111-7000-8000-000000000002' },
      },
    });
    expect(rest.statusCode).toBe(400);
    expect(rest.json().error.details).toMatchObject({
      field: 'model',
      reason: 'model_cannot_run_kind',
      kind: 'inpaint',
    });
    // The same model for text-to-image is taken (the first test of this file runs it).
    expect([await h.db.job.count(), await balance()]).toEqual([jobs, credits]);
  });
});
