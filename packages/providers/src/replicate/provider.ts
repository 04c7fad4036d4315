import { replicateModerationInput } from '../moderation.js';
import {
  codeForStatus,
  makeVendorHttp,
  pause,
  retryAfterFrom,
  decodeImage,
  type VendorResponse,
} from '../http/vendor-http.js';
import { tryJson } from '../http/json.js';
import { chooseModel } from '../model-choice.js';
import type { OutputFormat } from '@darkroom/core';
import {
  abortCancelsRequest,
  type GenerateRequest,
  type GeneratedImage,
  type ImageProvider,
  type InputImage,
} from '../provider.js';
import {
  dataUri,
  fieldsOf,
  imageInputFields,
  modelForKind,
  REPLICATE_INPUT_FIELDS,
  REPLICATE_KIND_MODELS,
  type InputFieldTable,
  type KindModels,
} from './input-fields.js';
import {
  REPLICATE_TERMINAL,
  ReplicateFileObject,
  ReplicatePrediction,
  ReplicateProblem,
  type ReplicateCreateBody,
} from './wire.js';

export interface ReplicateProviderOptions {
  apiKey: string;
  /** Default https://api.replicate.com */
  baseUrl?: string;
  /**
   * What to run, one of: `owner/name` (the model's latest version), `owner/name:version`, or
   * `deployment:owner/name`. Default black-forest-labs/flux-schnell.
   */
  model?: string;
  /**
   * Other models a request may name (`GenerateRequest.model`), in the same forms; a named model runs
   * every kind, with its input fields from the field table. Default: any.
   */
  models?: readonly string[];
  /**
   * Seconds the create call may hold the line for the result (`Prefer: wait`, 1-60). Default 0: the
   * create answers at once with the prediction's id, which is recorded before waiting; with a wait, a
   * crash during the create cannot be resumed.
   */
  waitSeconds?: number;
  /** Between status polls, in ms. Default 1000. */
  pollIntervalMs?: number;
  /** Inputs added to every prediction (model specific, e.g. `{"go_fast": true}`). */
  extraInput?: Record<string, unknown>;
  outputFormat?: OutputFormat;
  /** Longest wait for one HTTP exchange, in ms. Default 30 000 (plus `waitSeconds` on create). */
  timeoutMs?: number;
  /** Credits per image. Default 1. */
  pricePerImage?: number;
  maxBytes?: number;
  /**
   * The model each kind with image inputs runs on, over REPLICATE_KIND_MODELS (flux-dev for
   * image-to-image, flux-fill-pro for inpaint, flux-2-pro for references, real-esrgan for upscale).
   */
  kindModels?: KindModels;
  /** Input fields of more models, or other fields for listed ones, over REPLICATE_INPUT_FIELDS. */
  inputFields?: InputFieldTable;
  /** Inputs up to this size go inline as data URIs, larger ones through the files API. Default 256 KiB. */
  dataUriMaxBytes?: number;
}

/**
 * Replicate predictions: create (by model, version or deployment), poll until terminal, download the
 * output at once (Replicate deletes outputs an hour after completion), cancel on abort.
 */
export function createReplicateProvider(options: ReplicateProviderOptions): ImageProvider {
  const {
    apiKey,
    baseUrl = 'https://api.replicate.com',
    model = 'black-forest-labs/flux-schnell',
    waitSeconds = 0,
    pollIntervalMs = 1000,
  } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const http = makeVendorHttp({
    vendor: 'replicate',
    secrets: [apiKey],
    timeoutMs,
    ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
  });
  const auth = { authorization: `Bearer ${apiKey}` };
  // Predictions that came back finished from a `Prefer: wait` create, so resume needs no extra poll.
  const finished = new Map<string, ReplicatePrediction>();

  /** The request's own model (for every kind), else the configured model or the kind's. */
  function modelFor(request: GenerateRequest): string {
    const named = chooseModel(request.model, { vendor: 'replicate', configured: model, allowed: options.models });
    if (request.model === undefined || !named)
      return modelForKind(request, model, REPLICATE_KIND_MODELS, options.kindModels);
    // It becomes a URL path: only Replicate's own forms, never `..` or a query.
    if (!REPLICATE_MODEL_FORM.test(named))
      throw http.error(
        'invalid_request',
        `model: "${named}" is not owner/name, owner/name:version or deployment:owner/name`,
      );
    return named;
  }

  function target(model: string): { url: string; version?: string } {
    if (model.startsWith('deployment:'))
      return { url: `${baseUrl}/v1/deployments/${model.slice('deployment:'.length)}/predictions` };
    const [name, version] = model.split(':');
    if (version) return { url: `${baseUrl}/v1/predictions`, version };
    return { url: `${baseUrl}/v1/models/${name}/predictions` };
  }

  function failure(response: VendorResponse, what: string) {
    const parsed = ReplicateProblem.safeParse(tryJson(response.body));
    const problem = parsed.success ? parsed.data : {};
    const message = `${what} answered ${response.status}: ${problem.detail ?? problem.title ?? 'no detail'}`;
    if (response.status === 429) {
      const seconds = problem.retry_after;
      return http.error(
        'rate_limited',
        message,
        seconds !== undefined ? seconds * 1000 : retryAfterFrom(response.headers),
      );
    }
    if (response.status === 402) return http.error('quota_exhausted', message);
    return http.error(codeForStatus(response.status), message);
  }

  async function cancel(id: string) {
    const response = await http.request({
      url: `${baseUrl}/v1/predictions/${encodeURIComponent(id)}/cancel`,
      method: 'POST',
      headers: auth,
      timeoutMs: 10_000,
    });
    if (response.status !== 200) throw failure(response, 'cancel');
  }

  /** The image of a terminal prediction, or the taxonomy error that explains why there is none. */
  async function outcomeOf(prediction: ReplicatePrediction, request: GenerateRequest): Promise<GeneratedImage> {
    const ended = { requestEnded: true };
    if (prediction.status === 'failed') {
      const message = prediction.error ?? 'the prediction failed';
      // Replicate's safety checker fails the prediction with a message naming NSFW content.
      if (/nsfw|safety|sensitive/i.test(message)) throw http.error('content_filtered', message, undefined, ended);
      throw http.error('transient', `prediction failed: ${message}`, undefined, ended);
    }
    if (prediction.status === 'canceled')
      throw http.error(
        request.signal?.aborted ? 'canceled' : 'transient',
        'the prediction was canceled',
        undefined,
        ended,
      );
    if (prediction.status === 'aborted')
      throw http.error('timeout', 'the prediction was aborted before it started', undefined, ended);
    if (prediction.data_removed)
      throw http.error('transient', 'the prediction output was already removed', undefined, ended);
    const output = Array.isArray(prediction.output) ? prediction.output[0] : prediction.output;
    if (!output) throw http.error('transient', 'the prediction succeeded without an output', undefined, ended);
    const image = output.startsWith('data:')
      ? await decodeImage(Buffer.from(output.slice(output.indexOf(',') + 1), 'base64'), http.error)
      : await http.download(output, request.signal);
    return { ...image, seed: request.seed, model: modelFor(request), providerRequestId: prediction.id };
  }

  const fieldTable = { ...REPLICATE_INPUT_FIELDS, ...options.inputFields };
  const dataUriMaxBytes = options.dataUriMaxBytes ?? 256 * 1024;

  /** A model's input: the text fields (for models with a prompt), then its image fields. */
  async function inputFor(request: GenerateRequest, kindModel: string): Promise<Record<string, unknown>> {
    const kind = request.kind ?? 'text-to-image';
    const fields = fieldsOf(fieldTable, kindModel);
    const images = await imageInputFields(request, 'replicate', kindModel, fields, (image, name) =>
      image.bytes.length <= dataUriMaxBytes ? Promise.resolve(dataUri(image)) : upload(image, name, request.signal),
    );
    if (fields?.prompt === false) return images;
    return {
      prompt: request.prompt,
      seed: request.seed,
      // An edit's output follows its input image's shape.
      ...(request.inputs?.image ? {} : { aspect_ratio: aspectRatioOf(request.width, request.height) }),
      ...(kind === 'text-to-image' ? { num_outputs: 1 } : {}),
      // Replicate's image models spell jpeg `jpg`.
      output_format: replicateFormat(request.outputFormat ?? options.outputFormat ?? 'png'),
      // A model listed in the field table gets a negative prompt only in a field it names.
      ...(request.negativePrompt && (!fields || fields.negativePrompt)
        ? { [fields?.negativePrompt ?? 'negative_prompt']: request.negativePrompt }
        : {}),
      // The operator's extra input is for the configured model, not the other kinds' models.
      ...(kindModel === model ? options.extraInput : {}),
      // After the operator's extra input: the job's level (never below MODERATION_MIN) decides.
      ...replicateModerationInput(kindModel, request.moderation ?? 'standard'),
      ...images,
    };
  }

  /**
   * Replicate's files API (`POST /v1/files`, multipart `content` + `metadata`), for inputs over the
   * data-URI size; its `urls.get` is what a model input takes. Files expire by themselves.
   */
  async function upload(image: InputImage, name: string, signal?: AbortSignal): Promise<string> {
    const form = new FormData();
    const extension = image.mime.split('/')[1]!.replace('jpeg', 'jpg');
    form.set('content', new Blob([image.bytes], { type: image.mime }), `${name}.${extension}`);
    form.set('metadata', new Blob([JSON.stringify({ darkroom: name })], { type: 'application/json' }), 'metadata.json');
    const response = await http.request({
      url: `${baseUrl}/v1/files`,
      method: 'POST',
      headers: auth,
      body: form,
      ...(signal ? { signal } : {}),
    });
    if (response.status !== 201 && response.status !== 200) throw failure(response, 'file upload');
    return http.json(response, ReplicateFileObject).urls.get;
  }

  const provider: ImageProvider = {
    name: 'replicate',
    capabilities: { maxImagesPerRequest: 4, imageConditioning: false, maxLongSide: 1440 },
    pricePerImage: options.pricePerImage ?? 1,
    async submit(request) {
      const kindModel = modelFor(request);
      const { url, version } = target(kindModel);
      const input = await inputFor(request, kindModel);
      const body: ReplicateCreateBody = { ...(version ? { version } : {}), input };
      const response = await http.request({
        url,
        method: 'POST',
        headers: {
          ...auth,
          'content-type': 'application/json',
          ...(waitSeconds > 0 ? { prefer: `wait=${waitSeconds}` } : {}),
        },
        body: JSON.stringify(body),
        timeoutMs: timeoutMs + waitSeconds * 1000,
        ...(request.signal ? { signal: request.signal } : {}),
      });
      if (response.status !== 201 && response.status !== 200) throw failure(response, 'create');
      const prediction = http.json(response, ReplicatePrediction);
      if (REPLICATE_TERMINAL.includes(prediction.status)) finished.set(prediction.id, prediction);
      return prediction.id;
    },
    async resume(id, request) {
      let prediction = finished.get(id);
      finished.delete(id);
      try {
        while (!prediction || !REPLICATE_TERMINAL.includes(prediction.status)) {
          if (prediction) await pause(pollIntervalMs, request.signal, http.error);
          const response = await http.request({
            url: `${baseUrl}/v1/predictions/${encodeURIComponent(id)}`,
            headers: auth,
            ...(request.signal ? { signal: request.signal } : {}),
          });
          // Replicate forgets predictions after its retention window: nothing left to resume.
          if (response.status === 404)
            throw http.error('transient', `prediction ${id} is unknown (expired?)`, undefined, { requestEnded: true });
          if (response.status !== 200) throw failure(response, 'status');
          prediction = http.json(response, ReplicatePrediction);
        }
      } catch (error) {
        // The job was canceled while the prediction ran: stop paying for it.
        if (abortCancelsRequest(request.signal)) await cancel(id).catch(() => {});
        throw error;
      }
      return outcomeOf(prediction, request);
    },
    cancel,
    async generate(request) {
      return provider.resume!(await provider.submit!(request), request);
    },
  };
  return provider;
}

/** `owner/name`, `owner/name:version` or `deployment:owner/name`, as REPLICATE_MODEL takes them. */
const REPLICATE_MODEL_FORM = /^(deployment:)?[\w-][\w.-]*\/[\w-][\w.-]*(:[0-9a-f]+)?$/;

function replicateFormat(format: OutputFormat): string {
  return format === 'jpeg' ? 'jpg' : format;
}

const RATIOS = ['1:1', '16:9', '21:9', '3:2', '2:3', '4:5', '5:4', '3:4', '4:3', '9:16', '9:21'];

/** The listed aspect ratio nearest to width:height. */
export function aspectRatioOf(width: number, height: number, ratios = RATIOS): string {
  const want = Math.log(width / height);
  return ratios.reduce((best, ratio) => {
    const [w, h] = ratio.split(':').map(Number) as [number, number];
    const [bw, bh] = best.split(':').map(Number) as [number, number];
    return Math.abs(Math.log(w / h) - want) < Math.abs(Math.log(bw / bh) - want) ? ratio : best;
  });
}
