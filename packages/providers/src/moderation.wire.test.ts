/**
 * A request's moderation level on the wire: each adapter against its fake vendor server, which checks
 * the field's type and values as the vendor's schema does. What is asserted is the request body the
 * vendor received.
 */
import { MODERATION_LEVELS, type ModerationLevel } from '@darkroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFalProvider } from './fal/provider.js';
import { createOpenAIProvider } from './openai/provider.js';
import type { GenerateRequest } from './provider.js';
import { createReplicateProvider } from './replicate/provider.js';
import { createStabilityProvider } from './stability/provider.js';
import { startFakeFal, type FakeFal } from './testing/fal.js';
import type { FakeHttpServer } from './testing/fake-http.js';
import { startFakeOpenAI, type FakeOpenAI } from './testing/openai.js';
import { startFakeReplicate, type FakeReplicate } from './testing/replicate.js';
import { startFakeStability, type FakeStability } from './testing/stability.js';

const KEY = 'sk-moderation-0123456789abcdef';
const request = (moderation: ModerationLevel): GenerateRequest => ({
  prompt: 'a garden at night',
  preset: 'illustration',
  width: 1024,
  height: 1024,
  seed: 5,
  moderation,
});
let openai: FakeOpenAI;
let replicate: FakeReplicate;
let fal: FakeFal;
let stability: FakeStability;
beforeAll(async () => {
  [openai, replicate, fal, stability] = await Promise.all([
    startFakeOpenAI({ apiKey: KEY }),
    startFakeReplicate({ apiKey: KEY }),
    startFakeFal({ apiKey: KEY }),
    startFakeStability({ apiKey: KEY }),
  ]);
});
afterAll(() => Promise.all([openai, replicate, fal, stability].map((server) => server.close())));

/** The JSON body of the first POST `server` received since `mark`. */
function postedSince(server: FakeHttpServer, mark: number): Record<string, unknown> {
  const post = server.requests.slice(mark).find((sent) => sent.method === 'POST')!;
  return JSON.parse(post.body.toString('utf8')) as Record<string, unknown>;
}

describe('moderation on the wire', () => {
  it.each([
    ['strict', 'auto'],
    ['standard', 'auto'],
    ['relaxed', 'low'],
  ] as const)('OpenAI gpt-image: %s is moderation=%j', async (level, sent) => {
    const mark = openai.requests.length;

    await createOpenAIProvider({ apiKey: KEY, baseUrl: openai.baseUrl }).generate(request(level));

    expect(postedSince(openai, mark).moderation).toBe(sent);
  });

  it('OpenAI DALL-E 3 has no moderation setting: nothing is sent', async () => {
    const mark = openai.requests.length;

    await createOpenAIProvider({ apiKey: KEY, baseUrl: openai.baseUrl, model: 'dall-e-3' }).generate(
      request('relaxed'),
    );

    expect(postedSince(openai, mark)).not.toHaveProperty('moderation');
  });

  it.each([
    ['strict', { disable_safety_checker: false }, { safety_tolerance: 1 }],
    ['standard', { disable_safety_checker: false }, { safety_tolerance: 2 }],
    ['relaxed', { disable_safety_checker: true }, { safety_tolerance: 5 }],
  ] as const)('Replicate: %s is %j on FLUX schnell, %j on FLUX 1.1 pro', async (level, schnell, pro) => {
    const sent = [];
    for (const model of ['black-forest-labs/flux-schnell', 'black-forest-labs/flux-1.1-pro']) {
      const mark = replicate.requests.length;
      await createReplicateProvider({ apiKey: KEY, baseUrl: replicate.url, model, pollIntervalMs: 5 }).generate(
        request(level),
      );
      const { input } = postedSince(replicate, mark) as { input: Record<string, unknown> };
      sent.push(
        Object.fromEntries(
          Object.entries(input).filter(([name]) => ['disable_safety_checker', 'safety_tolerance'].includes(name)),
        ),
      );
    }

    expect(sent).toEqual([schnell, pro]);
  });

  it.each([
    ['strict', { enable_safety_checker: true }, { enable_safety_checker: true, safety_tolerance: '1' }],
    ['standard', { enable_safety_checker: true }, { enable_safety_checker: true, safety_tolerance: '2' }],
    ['relaxed', { enable_safety_checker: false }, { enable_safety_checker: false, safety_tolerance: '5' }],
  ] as const)('fal: %s is %j on flux/schnell, %j on flux-pro/v1.1', async (level, schnell, pro) => {
    const sent = [];
    for (const model of ['fal-ai/flux/schnell', 'fal-ai/flux-pro/v1.1']) {
      const mark = fal.requests.length;
      await createFalProvider({ apiKey: KEY, baseUrl: fal.url, model, pollIntervalMs: 5 }).generate(request(level));
      const input = postedSince(fal, mark);
      sent.push(
        Object.fromEntries(
          Object.entries(input).filter(([name]) => ['enable_safety_checker', 'safety_tolerance'].includes(name)),
        ),
      );
    }

    expect(sent).toEqual([schnell, pro]);
  });

  it("the job's level wins over an operator's extra input that names the same field", async () => {
    const mark = fal.requests.length;

    await createFalProvider({
      apiKey: KEY,
      baseUrl: fal.url,
      model: 'fal-ai/flux/dev',
      pollIntervalMs: 5,
      extraInput: { enable_safety_checker: false },
    }).generate(request('standard'));

    expect(postedSince(fal, mark).enable_safety_checker).toBe(true);
  });

  it('Stability has no moderation field (its API always moderates): every level sends the same form', async () => {
    const forms = [];
    for (const level of MODERATION_LEVELS) {
      await createStabilityProvider({ apiKey: KEY, baseUrl: stability.url, pollIntervalMs: 5 }).generate(
        request(level),
      );
      forms.push(stability.lastForm);
    }

    expect(forms[0]).toEqual(forms[1]);
    expect(forms[1]).toEqual(forms[2]);
    expect(Object.keys(forms[0]!).sort()).toEqual(['aspect_ratio', 'output_format', 'prompt', 'seed']);
  });
});

describe('the fake vendors refuse what the real ones refuse', () => {
  it('OpenAI: a moderation value other than auto or low is a 400 naming the parameter', async () => {
    const response = await fetch(`${openai.baseUrl}/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-image-1', prompt: 'x', moderation: 'strict' }),
    });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { param: string } }).error.param).toBe('moderation');
  });

  it.each([
    ['replicate', { disable_safety_checker: 'yes' }],
    ['replicate', { safety_tolerance: 7 }],
    ['fal', { enable_safety_checker: 'no' }],
    ['fal', { safety_tolerance: 2 }],
  ] as const)('%s: %j is a 422', async (vendor, fields) => {
    const response =
      vendor === 'replicate'
        ? await fetch(`${replicate.url}/v1/models/black-forest-labs/flux-1.1-pro/predictions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify({ input: { prompt: 'x', ...fields } }),
          })
        : await fetch(`${fal.url}/fal-ai/flux-pro/v1.1`, {
            method: 'POST',
            headers: { authorization: `Key ${KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify({ prompt: 'x', ...fields }),
          });

    expect(response.status).toBe(422);
  });
});
