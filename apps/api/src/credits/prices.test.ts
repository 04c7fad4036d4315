import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness({ settings: { startingCredits: 20, prices: { mock: 1, local: 3, 'local/hd': 5 } } });
});
afterAll(() => h.close());

describe('credits.prices', () => {
  it('lists the configured prices and what each provider charges per image, cheapest first', async () => {
    const prices = await h.caller.credits.prices();
    expect(prices.prices).toEqual({ mock: 1, local: 3, 'local/hd': 5 });
    // The providers this deployment runs (PROVIDERS_ENABLED), cheapest first.
    expect(prices.providers).toEqual([
      { provider: 'mock', creditsPerImage: 1 },
      { provider: 'local', creditsPerImage: 3 },
    ]);
  });

  it('quotes what a submit then reserves', async () => {
    const { providers } = await h.caller.credits.prices();
    const before = (await h.caller.credits.get()).balance;
    await h.caller.jobs.create({ prompt: 'priced', provider: 'local', numImages: 2 });
    const quoted = providers.find((entry) => entry.provider === 'local')!.creditsPerImage * 2;
    expect(before - (await h.caller.credits.get()).balance).toBe(quoted);
  });
});
