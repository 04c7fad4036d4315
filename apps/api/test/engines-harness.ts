/**
 * The harness the per-job engine option tests share (engine-options, model-per-job): local beside the two
 * self-hosted engines, a credit each, so a refusal can be told from a price or a missing provider.
 */
import { makeHarness } from './harness.js';

export function makeEnginesHarness() {
  return makeHarness({
    settings: {
      startingCredits: 50,
      enabledProviders: ['local', 'a1111', 'comfyui'],
      prices: { local: 1, a1111: 1, comfyui: 1 },
    },
  });
}
