import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isProviderError } from '../errors.js';
import type { GenerateRequest } from '../provider.js';
import { createMockProvider, parseMockFailures } from './provider.js';

const base: GenerateRequest = { prompt: 'p', preset: 'photo', width: 64, height: 48, seed: 3 };

async function outcome(provider: ReturnType<typeof createMockProvider>, request: GenerateRequest) {
  return provider.generate(request).then(
    () => 'ok',
    (error: unknown) => (isProviderError(error) ? error.code : 'other'),
  );
}

describe('the mock provider', () => {
  it('returns a PNG of the requested size', async () => {
    const image = await createMockProvider().generate(base);
    const metadata = await sharp(image.bytes).metadata();
    expect([metadata.format, metadata.width, metadata.height]).toEqual(['png', 64, 48]);
  });

  it('produces its failure mix at about the configured rates, the same on every run', async () => {
    const failures = { transient: 0.2, rate_limited: 0.1, content_filtered: 0.05 };
    const runs = async () => {
      const provider = createMockProvider({ failures, seed: 42 });
      const counts: Record<string, number> = {};
      for (let i = 0; i < 2000; i++) {
        const result = await outcome(provider, { ...base, prompt: `p${i}` });
        counts[result] = (counts[result] ?? 0) + 1;
      }
      return counts;
    };
    const first = await runs();
    expect(await runs()).toEqual(first);
    expect(first.transient! / 2000).toBeCloseTo(0.2, 1);
    expect(first.rate_limited! / 2000).toBeCloseTo(0.1, 1);
    expect(first.content_filtered! / 2000).toBeCloseTo(0.05, 1);
    expect(first.ok! / 2000).toBeCloseTo(0.65, 1);
  });

  it('draws again for each attempt, so a retry can succeed', async () => {
    const provider = createMockProvider({ failures: { transient: 0.5 }, seed: 1 });
    const outcomes = new Set<string>();
    for (let attempt = 1; attempt <= 20; attempt++) outcomes.add(await outcome(provider, { ...base, attempt }));
    expect(outcomes).toEqual(new Set(['ok', 'transient']));
  });

  it('sends retry-after with rate_limited', async () => {
    const provider = createMockProvider({ failures: { rate_limited: 1 }, retryAfterMs: 1234 });
    const error = await provider.generate(base).catch((e: unknown) => e);
    expect(isProviderError(error) && [error.code, error.retryAfterMs, error.retryable]).toEqual([
      'rate_limited',
      1234,
      true,
    ]);
  });

  it('aborts a slow request at once with canceled', async () => {
    const provider = createMockProvider({ latencyMs: [10_000, 10_000] });
    const controller = new AbortController();
    const pending = outcome(provider, { ...base, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    expect(await pending).toBe('canceled');
  });

  it('parses failure mixes from text and names what is wrong', () => {
    expect(parseMockFailures('transient:0.15, rate_limited:0.05')).toEqual({ transient: 0.15, rate_limited: 0.05 });
    expect(() => parseMockFailures('meteor:0.1')).toThrow(/unknown mock failure "meteor"/);
    expect(() => parseMockFailures('transient:2')).toThrow(/between 0 and 1/);
    expect(() => createMockProvider({ failures: { transient: 0.7, timeout: 0.6 } })).toThrow(/more than 1/);
  });
});

describe('the mock provider with image inputs', () => {
  const image = { bytes: Buffer.from('not read by the mock'), mime: 'image/png' as const, width: 40, height: 30 };

  it('echoes the kind as the model and answers the size the kind gives', async () => {
    const mock = createMockProvider();
    const cases: [GenerateRequest, string, number, number][] = [
      [{ ...base }, 'mock/text-to-image', 64, 48],
      [{ ...base, kind: 'image-to-image' as const, inputs: { image, strength: 0.3 } }, 'mock/image-to-image', 40, 30],
      [{ ...base, kind: 'inpaint' as const, inputs: { image, mask: image } }, 'mock/inpaint', 40, 30],
      [{ ...base, kind: 'upscale' as const, inputs: { image, upscale: 4 as const } }, 'mock/upscale', 160, 120],
      [
        { ...base, kind: 'reference' as const, inputs: { references: [{ role: 'style', image }] } },
        'mock/reference',
        64,
        48,
      ],
    ];
    for (const [request, model, width, height] of cases) {
      const result = await mock.generate(request);
      const metadata = await sharp(result.bytes).metadata();
      expect([result.model, result.width, result.height, metadata.width, metadata.height]).toEqual([
        model,
        width,
        height,
        width,
        height,
      ]);
    }
  });

  it('refuses an edit without its image as invalid_request naming inputs.image', async () => {
    const error = await createMockProvider()
      .generate({ ...base, kind: 'inpaint' })
      .catch((e: unknown) => e);
    expect(isProviderError(error) && error.code).toBe('invalid_request');
    expect(String(error)).toContain('inputs.image');
  });
});
