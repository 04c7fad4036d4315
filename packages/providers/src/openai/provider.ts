import { chooseModel } from '../model-choice.js';
import { openaiModeration } from '../moderation.js';
import { editForm } from './edits.js';
import { makeImageStreamReader, MAX_PARTIAL_IMAGES } from './stream.js';
import { tryJson } from '../http/json.js';
import type { OutputFormat, Quality } from '@darkroom/core';
import type { GenerateRequest, GeneratedImage, ImageProvider } from '../provider.js';
import {
  codeForStatus,
  decodeImage,
  makeVendorHttp,
  retryAfterFrom,
  type VendorResponse,
} from '../http/vendor-http.js';
import {
  OPENAI_QUOTA_CODES,
  OPENAI_SAFETY_CODES,
  OPENAI_SIZES,
  OpenAIErrorBody,
  OpenAIImagesResponse,
  type OpenAIImageRequest,
} from './wire.js';

export interface OpenAIProviderOptions {
  apiKey: string;
  /** Default https://api.openai.com/v1 */
  baseUrl?: string;
  /** gpt-image-1 (default), gpt-image-1-mini, dall-e-3, ... */
  model?: string;
  /** Other models a request may name (`GenerateRequest.model`, sent as `model`). Default: any. */
  models?: readonly string[];
  /**
   * For requests that name no quality. gpt-image: low | medium | high | auto; dall-e-3: standard | hd.
   * Default: the vendor's.
   */
  quality?: string;
  /** gpt-image models only. Default png. */
  outputFormat?: OutputFormat;
  /** gpt-image models only. Default: the vendor's (auto). */
  background?: 'transparent' | 'opaque' | 'auto';
  /** dall-e models only: how the image comes back. Default b64_json (a URL must be fetched at once anyway). */
  responseFormat?: 'b64_json' | 'url';
  /** Longest wait for one generation, in ms. Default 180 000 (gpt-image can take a minute or two). */
  timeoutMs?: number;
  /** Credits per image. Default 4. */
  pricePerImage?: number;
  /** Largest answer read, in bytes. Default 50 MiB. */
  maxBytes?: number;
  /**
   * gpt-image models only: partial images asked for (a streamed request) when the caller takes
   * previews, 0..3; each costs extra output tokens. 0 never streams. Default 2.
   */
  partialImages?: number;
}

/**
 * OpenAI Images: one synchronous call per image. There is no request to resume (the answer is the
 * image), so the adapter has no submit/resume; the `x-request-id` header is recorded for support.
 */
/** Darkroom's quality in the model family's words: gpt-image has low/medium/high, DALL-E 3 standard/hd, DALL-E 2 none. */
function vendorQuality(family: 'gpt-image' | 'dall-e-3' | 'dall-e-2', quality: Quality): string | undefined {
  if (family === 'gpt-image') return quality;
  if (family === 'dall-e-3') return quality === 'high' ? 'hd' : 'standard';
  return undefined;
}

export function createOpenAIProvider(options: OpenAIProviderOptions): ImageProvider {
  const { apiKey, baseUrl = 'https://api.openai.com/v1', model = 'gpt-image-1', outputFormat = 'png' } = options;
  const http = makeVendorHttp({
    vendor: 'openai',
    secrets: [apiKey],
    timeoutMs: options.timeoutMs ?? 180_000,
    ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
  });
  const familyOf = (name: string) =>
    name.startsWith('dall-e-3') ? 'dall-e-3' : name.startsWith('dall-e-2') ? 'dall-e-2' : 'gpt-image';
  const family = familyOf(model);
  // The request's model (one of `models`) is sent as the `model` field; its family decides the other fields.
  const modelFor = (request: GenerateRequest) =>
    chooseModel(request.model, { vendor: 'openai', configured: model, allowed: options.models })!;

  function bodyFor(request: GenerateRequest): OpenAIImageRequest {
    const model = modelFor(request);
    const family = familyOf(model);
    const body: OpenAIImageRequest = {
      model,
      prompt: request.prompt,
      n: 1,
      size: nearestSize(OPENAI_SIZES[family], request.width, request.height),
    };
    const quality = request.quality ? vendorQuality(family, request.quality) : options.quality;
    if (quality) body.quality = quality;
    if (family === 'gpt-image') {
      body.output_format = request.outputFormat ?? outputFormat;
      if (options.background) body.background = options.background;
      body.moderation = openaiModeration(request.moderation ?? 'standard');
    } else {
      body.response_format = options.responseFormat ?? 'b64_json';
    }
    return body;
  }

  /**
   * An edit's form: the generation's fields but `moderation` (edits have none) and `response_format`
   * (gpt-image answers base64 anyway), a size matching the edited image's shape, and high input
   * fidelity when references must be kept recognisable.
   */
  function editFormFor(request: GenerateRequest): Promise<FormData> {
    const body = bodyFor(request);
    const { model } = body;
    const family = familyOf(model);
    const shape = request.inputs?.image ?? request;
    const references = request.inputs?.references?.length ?? 0;
    if (family === 'dall-e-2' && references > 0)
      throw http.error('invalid_request', 'inputs.references: dall-e-2 edits take one image and no references');
    return editForm(request, {
      model,
      size: nearestSize(OPENAI_SIZES[family], shape.width, shape.height),
      ...(body.quality ? { quality: body.quality } : {}),
      ...(body.output_format ? { outputFormat: body.output_format } : {}),
      ...(body.background ? { background: body.background } : {}),
      ...(body.response_format ? { responseFormat: body.response_format } : {}),
      ...(references > 0 && family === 'gpt-image' && !model.includes('mini')
        ? { inputFidelity: 'high' as const }
        : {}),
    });
  }

  function failure(response: VendorResponse) {
    const parsed = OpenAIErrorBody.safeParse(tryJson(response.body));
    return failureOf(response.status, parsed.success ? parsed.data.error : null, response.headers);
  }

  /** An error answer, or an `error` event ending a stream (status 200, classified as a 500). */
  function failureOf(
    status: number,
    detail: { message?: string; type?: string | null; code?: string | null } | null,
    headers: Headers,
  ) {
    const response = { status: status === 200 ? 500 : status, headers };
    const message =
      `${status === 200 ? 'stream error' : status} ${detail?.code ?? detail?.type ?? ''}: ${detail?.message ?? 'no error body'}`.replace(
        / +:/,
        ':',
      );
    const code = detail?.code ?? '';
    if (OPENAI_QUOTA_CODES.includes(code) || detail?.type === 'insufficient_quota')
      return http.error('quota_exhausted', message);
    if (OPENAI_SAFETY_CODES.includes(code)) return http.error('content_filtered', message);
    if (response.status === 429) return http.error('rate_limited', message, retryAfterFrom(response.headers));
    return http.error(codeForStatus(response.status), message);
  }

  return {
    name: 'openai',
    capabilities: {
      maxImagesPerRequest: family === 'gpt-image' ? 10 : 1,
      imageConditioning: false,
      maxLongSide: family === 'dall-e-3' ? 1792 : 1536,
    },
    pricePerImage: options.pricePerImage ?? 4,
    async generate(request: GenerateRequest): Promise<GeneratedImage> {
      const kind = request.kind ?? 'text-to-image';
      if (kind === 'upscale') throw http.error('invalid_request', 'kind upscale: OpenAI Images has no upscale');
      const edit = kind !== 'text-to-image';
      const used = modelFor(request);
      const usedFamily = familyOf(used);
      if (edit && usedFamily === 'dall-e-3') throw http.error('invalid_request', `kind ${kind}: dall-e-3 has no edits`);
      const partialImages = Math.max(0, Math.min(MAX_PARTIAL_IMAGES, options.partialImages ?? 2));
      // Only gpt-image models stream; a caller that takes no previews gets the plain answer.
      const reader =
        usedFamily === 'gpt-image' && request.onPreview && partialImages > 0
          ? makeImageStreamReader({ prefix: edit ? 'image_edit' : 'image_generation', partialImages, request })
          : undefined;
      let body: string | FormData;
      if (edit) {
        body = await editFormFor(request);
        if (reader) {
          body.append('stream', 'true');
          body.append('partial_images', String(partialImages));
        }
      } else {
        const json = bodyFor(request);
        body = JSON.stringify(reader ? { ...json, stream: true, partial_images: partialImages } : json);
      }
      const response = await http.request({
        url: `${baseUrl}/images/${edit ? 'edits' : 'generations'}`,
        method: 'POST',
        // A FormData body sets its own multipart content type with the boundary.
        headers: edit
          ? { authorization: `Bearer ${apiKey}` }
          : { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body,
        ...(request.signal ? { signal: request.signal } : {}),
        ...(reader ? { onChunk: (chunk: Buffer) => reader.feed(chunk) } : {}),
      });
      if (response.status !== 200) throw failure(response);
      const requestId = response.headers.get('x-request-id');
      if (reader && (response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
        const outcome = reader.outcome();
        if (outcome.error) throw failureOf(200, outcome.error, response.headers);
        if (!outcome.completed) throw http.error('transient', 'the stream ended without a completed image');
        const image = await decodeImage(Buffer.from(outcome.completed, 'base64'), http.error);
        return { ...image, seed: request.seed, model: used, providerRequestId: requestId };
      }
      const answer = http.json(response, OpenAIImagesResponse);
      const first = answer.data[0]!;
      // Base64 is the default; a URL expires after 60 minutes, so it is fetched now, not later.
      const image = first.b64_json
        ? await decodeImage(Buffer.from(first.b64_json, 'base64'), http.error)
        : first.url
          ? await http.download(first.url, request.signal)
          : null;
      if (!image) throw http.error('transient', 'answered 200 with neither b64_json nor url');
      return { ...image, seed: request.seed, model: used, providerRequestId: requestId };
    },
  };
}

/** The allowed size whose aspect ratio is closest to the requested one. */
export function nearestSize(sizes: string[], width: number, height: number): string {
  const want = Math.log(width / height);
  let best = sizes[0]!;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const size of sizes) {
    const [w, h] = size.split('x').map(Number) as [number, number];
    // Among equal ratios, the one nearest the requested area.
    const distance = Math.abs(Math.log(w / h) - want) * 1000 + Math.abs(w * h - width * height) / 1e9;
    if (distance < bestDistance) {
      best = size;
      bestDistance = distance;
    }
  }
  return best;
}
