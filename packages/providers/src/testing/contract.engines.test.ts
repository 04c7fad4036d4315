/** The provider contract (contract.ts) run against the offline providers and the self-hosted engines' fakes. */
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
    refusing: () => ({ provider: createMockProvider({ failures: { content_filtered: 1 } }), code: 'content_filtered' }),
  }),
  { slow: true, transient: true, refusing: true, unreachable: false },
);

// Renders on the CPU in milliseconds and never calls anyone: nothing to cancel mid-way, nothing to fail.
providerContract('local', async () => ({ provider: createLocalProvider() }), {
  slow: false,
  transient: false,
  refusing: false,
  unreachable: false,
});

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
      refusing: () => {
        // Every output failed validation (ENGINES.md §1 POST /prompt): a checkpoint the server lacks.
        const details = "ckpt_name: 'x.safetensors' not in (list of length 42)";
        fake.replyOnce('POST', /^\/prompt/, {
          status: 400,
          json: {
            error: {
              type: 'prompt_outputs_failed_validation',
              message: 'Prompt outputs failed validation',
              details,
              extra_info: {},
            },
            node_errors: {
              '4': {
                errors: [
                  {
                    type: 'value_not_in_list',
                    message: 'Value not in list',
                    details,
                    extra_info: { input_name: 'ckpt_name' },
                  },
                ],
                dependent_outputs: ['9'],
                class_type: 'CheckpointLoaderSimple',
              },
            },
          },
        });
        return { provider, code: 'invalid_request' as const };
      },
      unreachable: (url) => createComfyUIProvider({ urls: [url], pollIntervalMs: 10, steps: 4 }),
      close: () => fake.close(),
    };
  },
  { slow: true, transient: true, refusing: true, unreachable: true },
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
      refusing: () => {
        // FastAPI's 422 for a body field of the wrong type (ENGINES.md §2 error shapes).
        fake.replyOnce('POST', /^\/sdapi\/v1\/txt2img/, {
          status: 422,
          json: {
            detail: [{ loc: ['body', 'steps'], msg: 'value is not a valid integer', type: 'type_error.integer' }],
          },
        });
        return { provider, code: 'invalid_request' as const };
      },
      unreachable: (url) => createA1111Provider({ urls: [url], pollIntervalMs: 10, steps: 4 }),
      close: () => fake.close(),
    };
  },
  { slow: true, transient: true, refusing: true, unreachable: true },
);
