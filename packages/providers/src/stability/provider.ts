import {
  codeForStatus,
  decodeImage,
  makeVendorHttp,
  pause,
  retryAfterFrom,
  type DecodedImage,
  type VendorResponse,
} from '../http/vendor-http.js';
import { tryJson } from '../http/json.js';
import { chooseModel } from '../model-choice.js';
import type { OutputFormat } from '@darkroom/core';
import type { GenerateRequest, GeneratedImage, ImageProvider } from '../provider.js';
import { aspectRatioOf } from '../replicate/provider.js';
import { stabilityEdit, type StabilityInpaintMode, type StabilityUpscaler } from './edits.js';
import sharp from 'sharp';
import {
  STABILITY_ASPECT_RATIOS,
  StabilityAsyncStarted,
  StabilityErrorBody,
  StabilityInProgress,
  StabilityJsonResult,
  type StabilityEndpoint,
} from './wire.js';

export interface StabilityProviderOptions {
  apiKey: string;
  /** Default https://api.stability.ai */
  baseUrl?: string;
  /** Which generate endpoint. Default core. */
  endpoint?: StabilityEndpoint;
  /** The `model` field, for sd3 (sd3.5-large, sd3.5-medium, ...). */
  model?: string;
  /**
   * Models a request may name (`GenerateRequest.model`): `ultra` and `core` run on that generate
   * endpoint, any other (`sd3.5-large`, ...) on `generate/sd3` as its `model` field. Default: any.
   */
  models?: readonly string[];
  /** Ask for JSON (base64 + finish_reason) or the image bytes (finish-reason header). Default image. */
  accept?: 'image' | 'json';
  outputFormat?: OutputFormat;
  /** Between result polls of an asynchronous generation, in ms. Default 2000. */
  pollIntervalMs?: number;
  /** Longest wait for one HTTP exchange, in ms. Default 120 000 (generation answers synchronously). */
  timeoutMs?: number;
  /** Credits per image. Default 3. */
  pricePerImage?: number;
  maxBytes?: number;
  /** What an inpaint job runs: `inpaint` (default, with the prompt) or `erase` (removes what the mask covers). */
  inpaintMode?: StabilityInpaintMode;
  /** Upscale endpoint: `fast` (default, 4x) or `conservative` (keeps detail, uses the prompt). */
  upscaler?: StabilityUpscaler;
  /** `control/style`'s fidelity to the style reference, 0..1. Default 0.5. */
  styleFidelity?: number;
  /** `control/sketch` and `control/structure`'s control_strength, 0..1. Default 0.7. */
  controlStrength?: number;
}

/**
 * Stability AI stable-image generate. The generate call usually answers the image itself; when it
 * answers an id instead (asynchronous endpoints), the result is polled at /v2beta/results/{id}. So
 * submit answers that id, or, for an immediate image, an id under which the image is kept in memory
 * until resume picks it up (a crash in between submits again: the image was never resumable).
 */
export function createStabilityProvider(options: StabilityProviderOptions): ImageProvider {
  const { apiKey, baseUrl = 'https://api.stability.ai', endpoint = 'core', pollIntervalMs = 2000 } = options;
  const http = makeVendorHttp({
    vendor: 'stability',
    secrets: [apiKey],
    timeoutMs: options.timeoutMs ?? 120_000,
    ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
  });
  const accept = options.accept === 'json' ? 'application/json' : 'image/*';
  const headers = { authorization: `Bearer ${apiKey}`, accept };
  const ready = new Map<string, GeneratedImage>();
  let immediate = 0;

  function failure(response: VendorResponse, what: string) {
    const parsed = StabilityErrorBody.safeParse(tryJson(response.body));
    const body = parsed.success ? parsed.data : {};
    const message = `${what} answered ${response.status}${body.name ? ` ${body.name}` : ''}: ${body.errors?.join('; ') ?? 'no detail'}`;
    if (response.status === 403 && body.name === 'content_moderation') return http.error('content_filtered', message);
    if (response.status === 402) return http.error('quota_exhausted', message);
    // Stability's documented penalty for passing 150 requests in 10 s is a 60 s time-out.
    if (response.status === 429) return http.error('rate_limited', message, retryAfterFrom(response.headers) ?? 60_000);
    return http.error(codeForStatus(response.status), message);
  }

  /** An image answer (bytes + headers, or JSON), checked for the content filter. */
  async function imageOf(
    response: VendorResponse,
    request: GenerateRequest,
    requestId: string,
  ): Promise<GeneratedImage> {
    const type = response.headers.get('content-type') ?? '';
    let bytes: Buffer;
    let finishReason: string | null;
    let seed: number | undefined;
    if (type.startsWith('application/json')) {
      const result = http.json(response, StabilityJsonResult);
      bytes = Buffer.from(result.image, 'base64');
      finishReason = result.finish_reason;
      seed = result.seed;
    } else {
      bytes = response.body;
      finishReason = response.headers.get('finish-reason');
      const header = Number(response.headers.get('seed'));
      seed = Number.isInteger(header) ? header : undefined;
    }
    if (finishReason === 'CONTENT_FILTERED')
      throw http.error(
        'content_filtered',
        'the image was blocked by the content filter (finish_reason CONTENT_FILTERED)',
        undefined,
        { requestEnded: true },
      );
    if (finishReason === 'ERROR')
      throw http.error('transient', 'the generation ended with finish_reason ERROR', undefined, { requestEnded: true });
    const image = await exactUpscale(await decodeImage(bytes, http.error), request);
    const model = modelUsed(request);
    return { ...image, seed: seed ?? request.seed, ...(model ? { model } : {}), providerRequestId: requestId };
  }

  /**
   * Where a request's model runs: a job naming `ultra` or `core` runs on that endpoint, any other name
   * is an sd3 `model`; with none, the configured endpoint and model. `model` is what the job view records.
   */
  function targetFor(request: GenerateRequest): { endpoint: StabilityEndpoint; model?: string } {
    const named = chooseModel(request.model, { vendor: 'stability', configured: undefined, allowed: options.models });
    if (named === 'ultra' || named === 'core') return { endpoint: named };
    if (named) return { endpoint: 'sd3', model: named };
    if (endpoint !== 'sd3') return { endpoint };
    return { endpoint, ...(options.model ? { model: options.model } : {}) };
  }

  /** The model that makes a request's image, for the job view: none for edit, control and upscale. */
  function modelUsed(request: GenerateRequest): string | undefined {
    const kind = request.kind ?? 'text-to-image';
    if (kind === 'image-to-image') return request.model ?? options.model;
    if (kind !== 'text-to-image') return undefined;
    const target = targetFor(request);
    return target.model ?? target.endpoint;
  }

  /** The endpoint and form: text-to-image on the request's generate endpoint, inputs per edits.ts. */
  async function callFor(request: GenerateRequest): Promise<{ path: string; form: FormData }> {
    const kind = request.kind ?? 'text-to-image';
    const outputFormat = request.outputFormat ?? options.outputFormat ?? 'png';
    const aspectRatio = aspectRatioOf(request.width, request.height, STABILITY_ASPECT_RATIOS);
    if (kind !== 'text-to-image') {
      const target = request.model ? targetFor(request) : { endpoint: 'sd3' as const, model: options.model };
      // Only sd3's image-to-image takes a model; the edit, control and upscale endpoints have none.
      if (request.model && (kind !== 'image-to-image' || target.endpoint !== 'sd3'))
        throw http.error(
          'invalid_request',
          `model: ${request.model} cannot run ${kind} (only an sd3 model takes image-to-image; edit, control and upscale endpoints take no model)`,
        );
      const edit = await stabilityEdit(request, kind, {
        inpaintMode: options.inpaintMode ?? 'inpaint',
        upscaler: options.upscaler ?? 'fast',
        styleFidelity: options.styleFidelity ?? 0.5,
        controlStrength: options.controlStrength ?? 0.7,
        outputFormat,
        aspectRatio,
        ...(target.model ? { model: target.model } : {}),
      });
      return edit;
    }
    const target = targetFor(request);
    const form = new FormData();
    form.set('prompt', request.prompt);
    if (request.negativePrompt) form.set('negative_prompt', request.negativePrompt);
    form.set('aspect_ratio', aspectRatio);
    form.set('seed', String(request.seed));
    form.set('output_format', outputFormat);
    if (target.model) form.set('model', target.model);
    return { path: `generate/${target.endpoint}`, form };
  }

  const provider: ImageProvider = {
    name: 'stability',
    capabilities: { maxImagesPerRequest: 1, imageConditioning: false, maxLongSide: 1536 },
    pricePerImage: options.pricePerImage ?? 3,
    async submit(request) {
      const { path, form } = await callFor(request);
      const response = await http.request({
        url: `${baseUrl}/v2beta/stable-image/${path}`,
        method: 'POST',
        headers,
        body: form,
        ...(request.signal ? { signal: request.signal } : {}),
      });
      if (response.status !== 200 && response.status !== 202) throw failure(response, path);
      const started = StabilityAsyncStarted.safeParse(tryJson(response.body));
      if (started.success && !('image' in (tryJson(response.body) as object))) return started.data.id;
      const id = `immediate-${response.headers.get('x-request-id') ?? `${Date.now()}-${++immediate}`}`;
      ready.set(id, await imageOf(response, request, id));
      return id;
    },
    async resume(id, request) {
      const done = ready.get(id);
      if (done) {
        ready.delete(id);
        return done;
      }
      if (id.startsWith('immediate-'))
        throw http.error('transient', 'an immediate result was lost with its process', undefined, {
          requestEnded: true,
        });
      for (let first = true; ; first = false) {
        if (!first) await pause(pollIntervalMs, request.signal, http.error);
        const response = await http.request({
          url: `${baseUrl}/v2beta/results/${encodeURIComponent(id)}`,
          headers,
          ...(request.signal ? { signal: request.signal } : {}),
        });
        if (response.status === 202) {
          http.json(response, StabilityInProgress);
          request.onVendorStatus?.({ state: 'running' });
          continue;
        }
        // Unknown or older than 24 hours: the result is gone for good.
        if (response.status === 404)
          throw http.error('transient', `result ${id} is unknown or expired`, undefined, { requestEnded: true });
        if (response.status !== 200) throw failure(response, 'result');
        return imageOf(response, request, id);
      }
    },
    async generate(request) {
      return provider.resume!(await provider.submit!(request), request);
    },
  };
  return provider;
}

/**
 * Stability's upscalers answer their own size (fast: 4x; conservative: about 4 MP); an upscale job
 * promises exactly factor x its input, so a different answer is resampled (lanczos) to that size.
 */
async function exactUpscale(image: DecodedImage, request: GenerateRequest): Promise<DecodedImage> {
  const input = request.inputs?.image;
  if (request.kind !== 'upscale' || !input) return image;
  const factor = request.inputs?.upscale ?? 2;
  const [width, height] = [input.width * factor, input.height * factor];
  if (image.width === width && image.height === height) return image;
  const format = image.mime === 'image/jpeg' ? 'jpeg' : image.mime === 'image/webp' ? 'webp' : 'png';
  const bytes = await sharp(image.bytes)
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .toFormat(format)
    .toBuffer();
  return { ...image, bytes, width, height };
}
