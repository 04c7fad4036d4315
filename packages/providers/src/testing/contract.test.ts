/** The provider contract (contract.ts) run against every adapter that has a fake: mock, local, comfyui, a1111. */
import { createA1111Provider } from '../a1111/provider.js';
import { createComfyUIProvider } from '../comfyui/provider.js';
import { createLocalProvider } from '../local/provider.js';
import { createMockProvider } from '../mock/provider.js';
import { startFakeA1111 } from './a1111.js';
import { startFakeComfyUI } from './comfyui.js';
import { providerContract } from './contract.js';

providerContract(
  'mock',
  async () => ({
    provider: createMockProvider(),
    slow: () => createMockProvider({ latencyMs: [5000, 5000] }),
    failingTransiently: () => createMockProvider({ failures: { transient: 1 } }),
  }),
  { slow: true, transient: true },
);

// Renders on the CPU in milliseconds and never calls anyone: nothing to cancel mid-way, nothing to fail.
providerContract('local', async () => ({ provider: createLocalProvider() }), { slow: false, transient: false });

providerContract(
  'comfyui',
  async () => {
    const fake = await startFakeComfyUI();
    const provider = createComfyUIProvider({ urls: [fake.url], pollIntervalMs: 10, steps: 4 });
    return {
      provider,
      slow: () => {
        fake.stepMs = 500;
        return provider;
      },
      failingTransiently: () => {
        fake.replyOnce('POST', /^\/prompt/, { status: 503, body: '503 Service Unavailable' });
        return provider;
      },
      close: () => fake.close(),
    };
  },
  { slow: true, transient: true },
);

providerContract(
  'a1111',
  async () => {
    const fake = await startFakeA1111();
    const provider = createA1111Provider({ urls: [fake.url], pollIntervalMs: 10, steps: 4 });
    return {
      provider,
      slow: () => {
        fake.stepMs = 500;
        return provider;
      },
      failingTransiently: () => {
        fake.replyOnce('POST', /^\/sdapi\/v1\/txt2img/, {
          status: 500,
          json: { error: 'OutOfMemoryError', detail: '', body: '', errors: 'CUDA out of memory' },
        });
        return provider;
      },
      close: () => fake.close(),
    };
  },
  { slow: true, transient: true },
);
