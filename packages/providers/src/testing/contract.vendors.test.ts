/**
 * The provider contract (contract.ts) run against the hosted vendors' adapters and fakes: openai,
 * stability, replicate, fal. Vendors answer their own image sizes (OpenAI's fixed sizes, Stability's
 * aspect ratios), so only the reported size is checked against the bytes. A slow call is a create the
 * vendor holds open; each vendor's lasting refusal is its safety refusal of a "forbidden" prompt.
 */
import { createFalProvider } from '../fal/provider.js';
import { createOpenAIProvider } from '../openai/provider.js';
import { createReplicateProvider } from '../replicate/provider.js';
import { createStabilityProvider } from '../stability/provider.js';
import { providerContract } from './contract.js';
import { startFakeFal } from './fal.js';
import { startFakeOpenAI } from './openai.js';
import { startFakeReplicate } from './replicate.js';
import { startFakeStability } from './stability.js';

const KEY = 'contract-key-0123456789abcdef';
const ALL = { slow: true, transient: true, refusing: true, unreachable: true };
const forbidden = { prompt: 'a forbidden lighthouse' };

providerContract(
  'openai',
  async () => {
    const fake = await startFakeOpenAI({ apiKey: KEY });
    const at = (baseUrl: string) => createOpenAIProvider({ apiKey: KEY, baseUrl, timeoutMs: 5000 });
    const provider = at(fake.baseUrl);
    return {
      provider,
      exactSize: false,
      slow: () => {
        fake.replyOnce('POST', /^\/v1\/images\/generations/, { hang: true });
        return provider;
      },
      failingTransiently: () => {
        fake.replyOnce('POST', /^\/v1\/images\/generations/, {
          status: 503,
          json: {
            error: { message: 'The engine is currently overloaded', type: 'server_error', param: null, code: null },
          },
        });
        return provider;
      },
      refusing: () => ({ provider, request: forbidden, code: 'content_filtered' as const }),
      unreachable: (url) => at(`${url}/v1`),
      close: () => fake.close(),
    };
  },
  ALL,
);

providerContract(
  'stability',
  async () => {
    const fake = await startFakeStability({ apiKey: KEY });
    const at = (baseUrl: string) =>
      createStabilityProvider({ apiKey: KEY, baseUrl, pollIntervalMs: 10, timeoutMs: 5000 });
    const provider = at(fake.url);
    return {
      provider,
      exactSize: false,
      slow: () => {
        fake.replyOnce('POST', /^\/v2beta\/stable-image\/generate\//, { hang: true });
        return provider;
      },
      failingTransiently: () => {
        fake.replyOnce('POST', /^\/v2beta\/stable-image\/generate\//, {
          status: 500,
          json: { id: 'e1', name: 'internal_error', errors: ['An unexpected server error occurred'] },
        });
        return provider;
      },
      refusing: () => ({ provider, request: forbidden, code: 'content_filtered' as const }),
      unreachable: (url) => at(url),
      close: () => fake.close(),
    };
  },
  ALL,
);

providerContract(
  'replicate',
  async () => {
    const fake = await startFakeReplicate({ apiKey: KEY, pollsToFinish: 1 });
    const at = (baseUrl: string) =>
      createReplicateProvider({ apiKey: KEY, baseUrl, pollIntervalMs: 10, timeoutMs: 5000 });
    const provider = at(fake.url);
    return {
      provider,
      exactSize: false,
      slow: () => {
        fake.replyOnce('POST', /\/predictions$/, { hang: true });
        return provider;
      },
      failingTransiently: () => {
        fake.replyOnce('POST', /\/predictions$/, {
          status: 503,
          json: { title: 'Service unavailable', detail: 'Try again later', status: 503 },
        });
        return provider;
      },
      refusing: () => ({ provider, request: forbidden, code: 'content_filtered' as const }),
      unreachable: (url) => at(url),
      close: () => fake.close(),
    };
  },
  ALL,
);

providerContract(
  'fal',
  async () => {
    const fake = await startFakeFal({ apiKey: KEY, queueAhead: 0 });
    const at = (baseUrl: string) => createFalProvider({ apiKey: KEY, baseUrl, pollIntervalMs: 10, timeoutMs: 5000 });
    const provider = at(fake.url);
    return {
      provider,
      exactSize: false,
      slow: () => {
        fake.replyOnce('POST', /^\/fal-ai\/flux\/schnell$/, { hang: true });
        return provider;
      },
      failingTransiently: () => {
        fake.replyOnce('POST', /^\/fal-ai\/flux\/schnell$/, { status: 503, json: { detail: 'Service unavailable' } });
        return provider;
      },
      refusing: () => ({ provider, request: forbidden, code: 'content_filtered' as const }),
      unreachable: (url) => at(url),
      close: () => fake.close(),
    };
  },
  ALL,
);
