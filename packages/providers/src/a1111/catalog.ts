/**
 * What one A1111 instance has: checkpoints (`/sdapi/v1/sd-models`), LoRAs (`/sdapi/v1/loras`, the Lora
 * extension's route, not behind --api-auth) and samplers (`/sdapi/v1/samplers`), each cached per
 * instance for a minute. A1111 silently replaces an unknown checkpoint or sampler and skips an unknown
 * LoRA, so the adapter checks a job's choices here first and refuses, listing what the instance has.
 */
import type { VendorHttp, VendorResponse } from '../http/vendor-http.js';
import type { ProviderError } from '../errors.js';
import { A1111Loras, A1111Models, A1111Samplers } from './wire.js';

const TTL_MS = 60_000;
/** Names an error message lists at most. */
const LISTED = 20;

export interface A1111Lists {
  models: A1111Models;
  loras: A1111Loras;
  samplers: A1111Samplers;
}

export function makeA1111Catalog(
  http: VendorHttp,
  headers: Record<string, string>,
  failure: (response: VendorResponse, what: string) => ProviderError,
) {
  const cache = new Map<string, { at: number; value: unknown }>();

  async function list<K extends keyof A1111Lists>(url: string, kind: K, signal?: AbortSignal): Promise<A1111Lists[K]> {
    const key = `${url} ${kind}`;
    const cached = cache.get(key);
    if (cached && Date.now() - cached.at <= TTL_MS) return cached.value as A1111Lists[K];
    const path = { models: 'sd-models', loras: 'loras', samplers: 'samplers' }[kind];
    const response = await http.request({
      url: `${url}/sdapi/v1/${path}`,
      headers,
      timeoutMs: 15_000,
      ...(signal ? { signal } : {}),
    });
    if (response.status !== 200) throw failure(response, path);
    const schema = { models: A1111Models, loras: A1111Loras, samplers: A1111Samplers }[kind];
    const value = http.json(response, schema) as A1111Lists[K];
    cache.set(key, { at: Date.now(), value });
    return value;
  }

  const unknown = (what: string, wanted: string, url: string, names: string[]) =>
    http.error(
      'invalid_request',
      `${what} "${wanted}" is not on ${url} (it has: ${names.slice(0, LISTED).join(', ') || 'none'}${names.length > LISTED ? `, and ${names.length - LISTED} more` : ''})`,
    );

  return {
    list,
    /** The checkpoint's title (what `sd_model_checkpoint` takes); any of title, name or hash may be asked. */
    async checkpoint(url: string, wanted: string, signal?: AbortSignal): Promise<string> {
      const models = await list(url, 'models', signal);
      const found = models.find((m) =>
        [m.title, m.model_name, m.hash, m.title.replace(/ \[[0-9a-f]+\]$/, '')].includes(wanted),
      );
      if (!found)
        throw unknown(
          'model',
          wanted,
          url,
          models.map((m) => m.model_name),
        );
      return found.title;
    },
    /** The LoRA's name as the prompt tag takes it (its name, or an alias). */
    async lora(url: string, wanted: string, signal?: AbortSignal): Promise<string> {
      const loras = await list(url, 'loras', signal);
      const found = loras.find((l) => l.name === wanted || l.alias === wanted);
      if (!found)
        throw unknown(
          'LoRA',
          wanted,
          url,
          loras.map((l) => l.name),
        );
      return found.name;
    },
    /** The sampler's name (an alias may be asked). */
    async sampler(url: string, wanted: string, signal?: AbortSignal): Promise<string> {
      const samplers = await list(url, 'samplers', signal);
      const found = samplers.find((s) => s.name === wanted || s.aliases?.includes(wanted));
      if (!found)
        throw unknown(
          'sampler',
          wanted,
          url,
          samplers.map((s) => s.name),
        );
      return found.name;
    },
  };
}
