/**
 * What a ComfyUI instance has, from `GET /object_info/{class}` (server.py): the combo lists of
 * CheckpointLoaderSimple `ckpt_name`, LoraLoader `lora_name` and KSampler `sampler_name`. V1 nodes send
 * a combo as `[[...options], {tooltip}]`, V3 nodes as `["COMBO", {options: [...]}]`; both are read. A
 * class the instance lacks answers `{}`, an empty list here.
 */
import { z } from 'zod';
import type { VendorHttp } from '../http/vendor-http.js';
import { codeForStatus } from '../http/vendor-http.js';
import type { ProviderCatalog } from '../provider.js';

const ObjectInfo = z.record(
  z.string(),
  z.object({ input: z.object({ required: z.record(z.string(), z.unknown()).optional() }).loose() }).loose(),
);

function comboOptions(spec: unknown): string[] {
  if (!Array.isArray(spec)) return [];
  const [first, second] = spec as [unknown, unknown];
  if (Array.isArray(first)) return first.filter((x): x is string => typeof x === 'string');
  if (first === 'COMBO' && second && typeof second === 'object') {
    const options = (second as { options?: unknown }).options;
    return Array.isArray(options) ? options.filter((x): x is string => typeof x === 'string') : [];
  }
  return [];
}

export async function readComfyCatalog(
  http: VendorHttp,
  headers: Record<string, string>,
  url: string,
  signal?: AbortSignal,
): Promise<ProviderCatalog> {
  const combo = async (nodeClass: string, input: string) => {
    const response = await http.request({
      url: `${url}/object_info/${nodeClass}`,
      headers,
      timeoutMs: 15_000,
      ...(signal ? { signal } : {}),
    });
    if (response.status !== 200)
      throw http.error(codeForStatus(response.status), `object_info/${nodeClass} answered ${response.status}`);
    return comboOptions(http.json(response, ObjectInfo)[nodeClass]?.input.required?.[input]);
  };
  const [models, loras, samplers] = await Promise.all([
    combo('CheckpointLoaderSimple', 'ckpt_name'),
    combo('LoraLoader', 'lora_name'),
    combo('KSampler', 'sampler_name'),
  ]);
  return { models, loras, samplers };
}
