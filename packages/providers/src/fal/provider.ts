import { falModerationInput } from '../moderation.js';
import type { ProviderErrorCode } from '../errors.js';
import { codeForStatus, makeVendorHttp, pause, retryAfterFrom, type VendorResponse } from '../http/vendor-http.js';
import { tryJson } from '../http/json.js';
import { chooseModel } from '../model-choice.js';
import type { OutputFormat } from '@darkroom/core';
import { abortCancelsRequest, type GenerateRequest, type ImageProvider, type InputImage } from '../provider.js';
import {
  FAL_SAFETY_TYPES,
  FAL_TIMEOUT_TYPES,
  FAL_TRANSIENT_TYPES,
  FalError,
  FalImageResult,
  FalStatus,
  FalSubmitResponse,
  FalUploadInitiated,
  FAL_ASPECT_RATIOS,
} from './wire.js';
import { aspectRatioOf } from '../replicate/provider.js';
import {
  dataUri,
  FAL_INPUT_FIELDS,
  FAL_KIND_MODELS,
  fieldsOf,
  imageInputFields,
  modelForKind,
  type InputFieldTable,
  type KindModels,
} from '../replicate/input-fields.js';

export interface FalProviderOptions {
  apiKey: string;
  /** Default https://queue.fal.run */
  baseUrl?: string;
  /** Model id, `owner/app[/path]`. Default fal-ai/flux/schnell. */
  model?: string;
  /**
   * Other endpoint ids a request may name (`GenerateRequest.model`, the path it is submitted to); a
   * named endpoint runs every kind, with its input fields from the field table. Default: any.
   */
  models?: readonly string[];
  /** Between status polls, in ms. Default 1000. */
  pollIntervalMs?: number;
  outputFormat?: Extract<OutputFormat, 'png' | 'jpeg'>;
  /** Inputs added to every request (model specific). */
  extraInput?: Record<string, unknown>;
  /** Longest wait for one HTTP exchange, in ms. Default 30 000. */
  timeoutMs?: number;
  /** Credits per image. Default 1. */
  pricePerImage?: number;
  maxBytes?: number;
  /**
   * The model each kind with image inputs runs on, over FAL_KIND_MODELS (flux/dev/image-to-image,
   * flux-pro/v1/fill, flux-pro/kontext/multi).
   */
  kindModels?: KindModels;
  /** Input fields of more models, or other fields for listed ones, over FAL_INPUT_FIELDS. */
  inputFields?: InputFieldTable;
  /** Inputs up to this size go inline as data URIs, larger ones through fal's storage. Default 256 KiB. */
  dataUriMaxBytes?: number;
  /** fal's storage API. Default https://rest.fal.ai */
  storageUrl?: string;
}

/**
 * fal's queue: submit (the start deadline goes in `X-Fal-Request-Timeout`), poll the status (its
 * `queue_position` is passed on as the vendor status), fetch the result, download the image at once,
 * cancel on abort.
 */
/** A fal endpoint id: `owner/app` or `owner/app/path`. */
const FAL_ENDPOINT_FORM = /^[\w-][\w.-]*\/[\w-][\w.-]*(\/[\w.-]+)*$/;

export function createFalProvider(options: FalProviderOptions): ImageProvider {
  const { apiKey, baseUrl = 'https://queue.fal.run', model = 'fal-ai/flux/schnell', pollIntervalMs = 1000 } = options;
  const http = makeVendorHttp({
    vendor: 'fal',
    secrets: [apiKey],
    timeoutMs: options.timeoutMs ?? 30_000,
    ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
  });
  const auth = { authorization: `Key ${apiKey}` };
  // Status, result and cancel live under owner/app only (fal's documented URL rule).
  const appOf = (endpoint: string) => endpoint.split('/').slice(0, 2).join('/');
  const app = appOf(model);
  /**
   * A request on another app than the configured model's (an image-input kind's model) carries its app
   * in the id Darkroom records, `<owner>/<app>#<request_id>`, so a resume or a cancel from any process
   * finds it; the configured model's requests keep the bare id.
   */
  const recordedId = (endpoint: string, id: string) => (appOf(endpoint) === app ? id : `${appOf(endpoint)}#${id}`);
  const requestUrl = (recorded: string, suffix = '') => {
    const [owner, id] = recorded.includes('#') ? recorded.split('#') : [app, recorded];
    return `${baseUrl}/${owner}/requests/${encodeURIComponent(id!)}${suffix}`;
  };
  /** The request's own model (an endpoint id, for every kind), else the configured model or the kind's. */
  function endpointFor(request: GenerateRequest): string {
    const named = chooseModel(request.model, { vendor: 'fal', configured: model, allowed: options.models });
    if (request.model === undefined || !named) return modelForKind(request, model, FAL_KIND_MODELS, options.kindModels);
    // It becomes the URL path: owner/app[/path] only, never `..`.
    if (!FAL_ENDPOINT_FORM.test(named) || named.split('/').includes('..'))
      throw http.error('invalid_request', `model: "${named}" is not a fal endpoint id (owner/app or owner/app/path)`);
    return named;
  }
  const fieldTable = { ...FAL_INPUT_FIELDS, ...options.inputFields };
  const dataUriMaxBytes = options.dataUriMaxBytes ?? 256 * 1024;
  const storageUrl = options.storageUrl ?? 'https://rest.fal.ai';

  /**
   * fal's storage (as @fal-ai/client uploads a Blob): initiate, then PUT the bytes to the answered
   * upload URL; the model input takes the answered file URL.
   */
  async function upload(image: InputImage, name: string, signal?: AbortSignal): Promise<string> {
    const extension = image.mime.split('/')[1]!.replace('jpeg', 'jpg');
    const initiated = await http.request({
      url: `${storageUrl}/storage/upload/initiate?storage_type=fal-cdn-v3`,
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ content_type: image.mime, file_name: `${name}.${extension}` }),
      ...(signal ? { signal } : {}),
    });
    if (initiated.status !== 200) throw failure(initiated, 'upload initiate');
    const { upload_url: uploadUrl, file_url: fileUrl } = http.json(initiated, FalUploadInitiated);
    const put = await http.request({
      url: uploadUrl,
      method: 'PUT',
      headers: { 'content-type': image.mime },
      body: new Blob([image.bytes], { type: image.mime }),
      ...(signal ? { signal } : {}),
    });
    if (put.status !== 200 && put.status !== 201 && put.status !== 204) throw failure(put, 'upload');
    return fileUrl;
  }

  /** The model input: the text fields (for models with a prompt), then the image fields. */
  async function inputFor(request: GenerateRequest, endpoint: string): Promise<Record<string, unknown>> {
    const fields = fieldsOf(fieldTable, endpoint);
    const images = await imageInputFields(request, 'fal', endpoint, fields, (image, name) =>
      image.bytes.length <= dataUriMaxBytes ? Promise.resolve(dataUri(image)) : upload(image, name, request.signal),
    );
    if (fields?.prompt === false) return images;
    return {
      prompt: request.prompt,
      // An edit's output follows its input image's shape.
      ...(request.inputs?.image
        ? {}
        : fields?.shape === 'aspect_ratio'
          ? { aspect_ratio: aspectRatioOf(request.width, request.height, FAL_ASPECT_RATIOS) }
          : { image_size: { width: request.width, height: request.height } }),
      seed: request.seed,
      num_images: 1,
      // fal's image models make png or jpeg; a webp request gets png, converted by the caller.
      output_format:
        request.outputFormat === 'jpeg' || request.outputFormat === 'png'
          ? request.outputFormat
          : (options.outputFormat ?? 'png'),
      // A model listed in the field table gets a negative prompt only in a field it names.
      ...(request.negativePrompt && (!fields || fields.negativePrompt)
        ? { [fields?.negativePrompt ?? 'negative_prompt']: request.negativePrompt }
        : {}),
      // The operator's extra input is for the configured model, not the other kinds' models.
      ...(endpoint === model ? options.extraInput : {}),
      // After the operator's extra input: the job's level (never below MODERATION_MIN) decides.
      ...falModerationInput(endpoint, request.moderation ?? 'standard'),
      ...images,
    };
  }

  function failure(response: VendorResponse, what: string) {
    const parsed = FalError.safeParse(tryJson(response.body));
    const body = parsed.success ? parsed.data : {};
    const errorType = response.headers.get('x-fal-error-type') ?? body.error_type ?? null;
    const first = Array.isArray(body.detail) ? body.detail[0] : undefined;
    const detail = typeof body.detail === 'string' ? body.detail : (first?.msg ?? 'no detail');
    const type = errorType ?? first?.type ?? null;
    const message = `${what} answered ${response.status}${type ? ` ${type}` : ''}: ${detail}`;
    // A request that failed at fal is over: a retry must submit again.
    const ended = { requestEnded: what === 'result' };
    let code: ProviderErrorCode;
    if (type && FAL_SAFETY_TYPES.includes(type)) code = 'content_filtered';
    else if (type && FAL_TIMEOUT_TYPES.includes(type)) code = 'timeout';
    else if (type && FAL_TRANSIENT_TYPES.includes(type)) code = 'transient';
    else if (type === 'client_cancelled') code = 'canceled';
    else if (response.status === 403 && /balance|locked/i.test(detail)) code = 'quota_exhausted';
    else code = codeForStatus(response.status);
    return http.error(code, message, code === 'rate_limited' ? retryAfterFrom(response.headers) : undefined, ended);
  }

  async function cancel(id: string) {
    const response = await http.request({
      url: requestUrl(id, '/cancel'),
      method: 'PUT',
      headers: auth,
      timeoutMs: 10_000,
    });
    // 400 ALREADY_COMPLETED: nothing left to stop.
    if (response.status !== 202 && response.status !== 200 && response.status !== 400)
      throw failure(response, 'cancel');
  }

  const provider: ImageProvider = {
    name: 'fal',
    capabilities: { maxImagesPerRequest: 4, imageConditioning: false, maxLongSide: 2048 },
    pricePerImage: options.pricePerImage ?? 1,
    async submit(request) {
      const headers: Record<string, string> = { ...auth, 'content-type': 'application/json' };
      if (request.startBy) {
        // fal's time-to-start deadline (queue wait included), in seconds; its minimum is above 0.1 s.
        headers['x-fal-request-timeout'] = String(
          Math.max(1, Math.floor((request.startBy.getTime() - Date.now()) / 1000)),
        );
      }
      const endpoint = endpointFor(request);
      const response = await http.request({
        url: `${baseUrl}/${endpoint}`,
        method: 'POST',
        headers,
        body: JSON.stringify(await inputFor(request, endpoint)),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      if (response.status !== 200 && response.status !== 202) throw failure(response, 'submit');
      const submitted = http.json(response, FalSubmitResponse);
      if (submitted.queue_position !== undefined)
        request.onVendorStatus?.({ state: 'queued', queuePosition: submitted.queue_position });
      return recordedId(endpoint, submitted.request_id);
    },
    async resume(id, request) {
      const signal = request.signal ? { signal: request.signal } : {};
      try {
        for (let first = true; ; first = false) {
          if (!first) await pause(pollIntervalMs, request.signal, http.error);
          const response = await http.request({ url: requestUrl(id, '/status'), headers: auth, ...signal });
          if (response.status === 404)
            throw http.error('transient', `request ${id} is unknown (expired?)`, undefined, { requestEnded: true });
          if (response.status !== 200 && response.status !== 202) throw failure(response, 'status');
          const status = http.json(response, FalStatus);
          if (status.status === 'COMPLETED') break;
          request.onVendorStatus?.(
            status.status === 'IN_QUEUE'
              ? {
                  state: 'queued',
                  ...(status.queue_position !== undefined ? { queuePosition: status.queue_position } : {}),
                }
              : { state: 'running' },
          );
        }
        const response = await http.request({ url: requestUrl(id), headers: auth, ...signal });
        if (response.status === 404)
          throw http.error('transient', `result of ${id} is gone (expired?)`, undefined, { requestEnded: true });
        if (response.status !== 200) throw failure(response, 'result');
        const result = http.json(response, FalImageResult);
        if (result.has_nsfw_concepts?.[0])
          throw http.error('content_filtered', 'the safety checker flagged the image', undefined, {
            requestEnded: true,
          });
        const image = await http.download(result.images[0]!.url, request.signal);
        return { ...image, seed: result.seed ?? request.seed, model: endpointFor(request), providerRequestId: id };
      } catch (error) {
        if (abortCancelsRequest(request.signal)) await cancel(id).catch(() => {});
        throw error;
      }
    },
    cancel,
    async generate(request: GenerateRequest) {
      return provider.resume!(await provider.submit!(request), request);
    },
  };
  return provider;
}
