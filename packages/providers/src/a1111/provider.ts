import { randomUUID } from 'node:crypto';
import type { ProviderErrorCode } from '../errors.js';
import { tryJson } from '../http/json.js';
import { codeForStatus, decodeImage, makeVendorHttp, type VendorResponse } from '../http/vendor-http.js';
import { instanceUnreachable, makeEnginePool, type EnginePool } from '../engines/pool.js';
import type { GenerateRequest, GeneratedImage, ImageProvider } from '../provider.js';
import { A1111ErrorBody, A1111ImagesResponse, A1111Info } from './wire.js';
import { readTask, watchProgress } from './progress.js';
import { a1111Call } from './body.js';
import { makeA1111Catalog } from './catalog.js';
import { catalogOfInstances } from '../engines/catalog-union.js';
import { checkPoolHealth } from '../engines/health.js';

export interface A1111ProviderOptions {
  /** One base URL per instance, e.g. http://gpu1:7860 (the web UI started with `--api`). */
  urls: string[];
  /** `user:pass` for servers started with `--api-auth`, sent as HTTP Basic. */
  auth?: string;
  /** Calls one instance runs at once from this process. Default 1 (A1111 runs one job at a time). */
  concurrency?: number;
  /** How long an unreachable instance is skipped, in ms. Default 30 000. */
  downForMs?: number;
  /** Longest wait for one image (txt2img blocks until it is done), in ms. Default 600 000. */
  timeoutMs?: number;
  /** How often progress is read while an image is made, in ms. Default 1000. */
  pollIntervalMs?: number;
  /** Sampler steps. Default 25. */
  steps?: number;
  /** Classifier-free guidance. Default 7. */
  cfgScale?: number;
  /** Sampler name as the server lists it (`/sdapi/v1/samplers`). Default `Euler a`. */
  sampler?: string;
  /** The checkpoint used when a job names none. Default: whatever the instance has loaded. */
  model?: string;
  /** Credits per image. Default 1. */
  pricePerImage?: number;
  maxBytes?: number;
}

/**
 * AUTOMATIC1111 (and Forge, SD.Next): `POST /sdapi/v1/txt2img` blocks until the image is made, so the
 * adapter has no request to resume after a crash; it reads progress beside the call and interrupts the
 * instance it sent the image to when the image is canceled, but only once that instance runs this
 * image (`/internal/progress` with the task id we forced), never someone else's job ahead of it.
 */
export function createA1111Provider(options: A1111ProviderOptions): ImageProvider {
  const { pollIntervalMs = 1000, steps = 25, cfgScale = 7, sampler = 'Euler a' } = options;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const http = makeVendorHttp({
    vendor: 'a1111',
    secrets: options.auth ? [options.auth, basic(options.auth)] : [],
    timeoutMs,
    ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
  });
  const pool: EnginePool = makeEnginePool({
    engine: 'a1111',
    urls: options.urls,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.downForMs !== undefined ? { downForMs: options.downForMs } : {}),
  });
  const headers: Record<string, string> = options.auth ? { authorization: `Basic ${basic(options.auth)}` } : {};

  function failure(response: VendorResponse, what: string) {
    const parsed = A1111ErrorBody.safeParse(tryJson(response.body));
    const body = parsed.success ? parsed.data : {};
    let detail: string;
    if (Array.isArray(body.detail))
      detail = body.detail
        .map((issue) => `${issue.loc.filter((part) => part !== 'body').join('.')}: ${issue.msg}`)
        .join('; ');
    else detail = [body.error, body.detail, body.errors ?? body.message].filter(Boolean).join(': ') || 'no detail';
    const code: ProviderErrorCode = response.status === 404 ? 'invalid_request' : codeForStatus(response.status);
    const hint = response.status === 404 ? ' (is the server started with --api?)' : '';
    return http.error(code, `${what} answered ${response.status}${hint}: ${detail}`);
  }

  const catalog = makeA1111Catalog(http, headers, failure);

  /** Where `taskId` is on the instance (see progress.ts). */
  const taskState = async (url: string, taskId: string, signal?: AbortSignal) =>
    (await readTask(http, url, taskId, { want: false, known: -1 }, signal)).state;

  /**
   * Stops our task on the instance. The interrupt endpoint stops whatever runs, so it is sent only when
   * the task is ours; a task still waiting for the queue lock is watched and interrupted once it starts.
   */
  async function interrupt(url: string, taskId: string) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await taskState(url, taskId).catch(() => 'unknown' as const);
      if (state !== 'queued') break;
      if (Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, Math.max(50, pollIntervalMs)));
    }
    await http.request({ url: `${url}/sdapi/v1/interrupt`, method: 'POST', headers, timeoutMs: 5000 }).catch(() => {});
  }

  async function generateOn(url: string, request: GenerateRequest): Promise<GeneratedImage> {
    const wanted = request.model ?? options.model;
    const checkpoint = wanted ? await catalog.checkpoint(url, wanted, request.signal) : undefined;
    // Checked first: A1111 would skip an unknown LoRA and swap an unknown sampler without a word.
    const loras = await Promise.all(
      (request.loras ?? []).map(async (l) => ({ ...l, name: await catalog.lora(url, l.name, request.signal) })),
    );
    const chosenSampler = request.sampler ? await catalog.sampler(url, request.sampler, request.signal) : sampler;
    const taskId = `task(darkroom-${randomUUID()})`;
    const { endpoint, body } = await a1111Call(
      request,
      { steps: request.steps ?? steps, cfgScale: request.guidance ?? cfgScale, sampler: chosenSampler },
      { taskId, loras, ...(checkpoint ? { checkpoint } : {}) },
    );
    const done = new AbortController();
    const watching = watchProgress({ http, headers, pollIntervalMs, url, taskId, request, done: done.signal });
    let response: VendorResponse;
    try {
      response = await http.request({
        url: `${url}/sdapi/v1/${endpoint}`,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        ...(request.signal ? { signal: request.signal } : {}),
      });
    } catch (error) {
      // Closing our connection does not stop the server's work, and nothing can pick the result up
      // later: a canceled, detached or timed-out image is interrupted so the GPU is free for the next.
      if (!instanceUnreachable(error)) void interrupt(url, taskId);
      throw error;
    } finally {
      done.abort();
      await watching;
    }
    if (response.status !== 200) throw failure(response, endpoint);
    const result = http.json(response, A1111ImagesResponse);
    const info = A1111Info.safeParse(tryJson(Buffer.from(result.info)));
    // With several images A1111 prepends a grid; index_of_first_image says where ours starts.
    const first = info.success ? (info.data.index_of_first_image ?? 0) : 0;
    const encoded = result.images[first] ?? result.images[0]!;
    const image = await decodeImage(Buffer.from(encoded.replace(/^data:[^,]*,/, ''), 'base64'), http.error);
    const model = info.success ? info.data.sd_model_name : undefined;
    return {
      ...image,
      seed: info.success ? info.data.seed : request.seed,
      providerRequestId: null,
      ...(model ? { model } : {}),
    };
  }

  return {
    name: 'a1111',
    capabilities: { maxImagesPerRequest: 1, imageConditioning: false, maxLongSide: 2048, models: true },
    pricePerImage: options.pricePerImage ?? 1,
    checkHealth: (signal) => checkPoolHealth(pool, http, options.urls, '/internal/ping', {}, signal),
    catalog: (signal) =>
      catalogOfInstances('a1111', options.urls, async (url) => {
        const [models, loras, samplers] = await Promise.all([
          catalog.list(url, 'models', signal),
          // Without the Lora extension the route is missing (404): no LoRAs, not a broken instance.
          catalog.list(url, 'loras', signal).catch((error: unknown) => {
            if (instanceUnreachable(error)) throw error;
            return [];
          }),
          catalog.list(url, 'samplers', signal),
        ]);
        return {
          // The title without its hash: the checkpoint's file path, as ComfyUI also names it.
          models: models.map((m) => m.title.replace(/ \[[0-9a-f]+\]$/, '')),
          loras: loras.map((l) => l.name),
          samplers: samplers.map((s) => s.name),
        };
      }),
    async generate(request) {
      const skipped = new Set<string>();
      for (;;) {
        // Fails with `transient` once every instance is down or was tried for this image.
        const lease = await pool.acquire(request.signal, skipped, request.jobId);
        request.onInstance?.(lease.url);
        try {
          return await generateOn(lease.url, request);
        } catch (error) {
          if (!instanceUnreachable(error)) throw error;
          pool.markDown(lease.url);
          skipped.add(lease.url);
        } finally {
          lease.release();
        }
      }
    },
  };
}

function basic(auth: string) {
  return Buffer.from(auth).toString('base64');
}
