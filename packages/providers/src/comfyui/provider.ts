import { randomUUID } from 'node:crypto';
import { DEFAULT_STRENGTH } from '@darkroom/core';
import type WebSocket from 'ws';
import { makeVendorHttp } from '../http/vendor-http.js';
import { kindOfRequest } from '../engines/kind.js';
import { instanceUnreachable, makeEnginePool, type EngineLease } from '../engines/pool.js';
import { abortCancelsRequest, type GenerateRequest, type GeneratedImage, type ImageProvider } from '../provider.js';
import { makeComfyClient, type Outcome } from './client.js';
import { ComfyPromptAccepted } from './wire.js';
import { catalogOfInstances } from '../engines/catalog-union.js';
import { checkPoolHealth } from '../engines/health.js';
import { readComfyCatalog } from './catalog.js';
import { withLoras } from './loras.js';
import { uploadInputs, type UploadedInputs } from './uploads.js';
import { fillTemplate, loadWorkflowTemplates, templateForKind, type WorkflowTemplate } from './workflow.js';

export interface ComfyUIProviderOptions {
  /** One base URL per instance, e.g. http://gpu1:8188. */
  urls: string[];
  /** Sent as the `Authorization` header value (ComfyUI has no auth; a proxy in front of it may). */
  auth?: string;
  /** Prompts one instance runs at once from this process. Default 1. */
  concurrency?: number;
  /** How long an unreachable instance is skipped, in ms. Default 30 000. */
  downForMs?: number;
  /** Longest wait for one image, queue included, in ms. Default 600 000. */
  timeoutMs?: number;
  /** How often the history is read when the socket is gone, in ms. Default 1000. */
  pollIntervalMs?: number;
  /** Templates by name (see workflow.ts). Default: the built-in `txt2img`, `img2img` and `inpaint`. */
  templates?: Map<string, WorkflowTemplate>;
  /** The template text-to-image jobs run. Default `txt2img`; other kinds run the template serving them. */
  workflow?: string;
  /** Values for `{{model}}`, `{{steps}}`, `{{cfg}}`, `{{sampler}}` when a job gives none. Default: the template's. */
  model?: string;
  steps?: number;
  cfg?: number;
  sampler?: string;
  /** Credits per image. Default 1. */
  pricePerImage?: number;
  maxBytes?: number;
}

/**
 * ComfyUI: a workflow template filled per image; `submit` opens our `/ws` socket and queues the prompt
 * with its `client_id`, answering `<prompt id> <instance url>`; `resume` waits for the end from the socket
 * (from `/history` and `/queue` when the socket dropped, or when another worker queued the prompt and
 * crashed) and downloads the image from `/view`. A canceled image is deleted from the queue while it
 * waits and interrupted (by prompt id) while it runs; a DETACHed one is left for the next worker.
 */
export function createComfyUIProvider(options: ComfyUIProviderOptions): ImageProvider {
  const { pollIntervalMs = 1000, timeoutMs = 600_000 } = options;
  const templates = options.templates ?? loadWorkflowTemplates();
  const workflowName = options.workflow ?? 'txt2img';
  const template = templates.get(workflowName);
  if (!template)
    throw new Error(`ComfyUI workflow ${workflowName} not found (have: ${[...templates.keys()].join(', ')})`);
  const http = makeVendorHttp({
    vendor: 'comfyui',
    secrets: options.auth ? [options.auth] : [],
    timeoutMs: 30_000,
    ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
  });
  const pool = makeEnginePool({
    engine: 'comfyui',
    urls: options.urls,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.downForMs !== undefined ? { downForMs: options.downForMs } : {}),
  });
  const headers: Record<string, string> = options.auth ? { authorization: options.auth } : {};

  const client = makeComfyClient({ http, headers, pollIntervalMs, timeoutMs, workflowName });
  /** Prompts this process submitted and is still waiting for: their socket and instance lease. */
  const sessions = new Map<
    string,
    { socket: WebSocket; early: Buffer[]; lease: EngineLease; orphan: NodeJS.Timeout }
  >();

  /** The template for the request's kind; a kind no template serves is the request's fault. */
  function templateOf(request: GenerateRequest): WorkflowTemplate {
    const kind = kindOfRequest(request);
    const chosen = kind === 'text-to-image' ? template! : templateForKind(templates, kind, workflowName);
    if (!chosen) throw http.error('invalid_request', `no workflow template serves ${kind} (see COMFYUI_WORKFLOWS_DIR)`);
    if (kind !== 'text-to-image' && !request.inputs?.image)
      throw http.error('invalid_request', `a ${kind} image needs an input image`);
    if (kind === 'inpaint' && !request.inputs?.mask) throw http.error('invalid_request', 'an inpaint needs a mask');
    return chosen;
  }

  function graphFor(request: GenerateRequest, chosen: WorkflowTemplate, files: UploadedInputs) {
    if (request.model && !chosen.uses.has('model'))
      throw http.error(
        'invalid_request',
        `workflow ${chosen.name} has no {{model}} placeholder, so it cannot take a model`,
      );
    for (const [field, placeholder] of [
      ['steps', 'steps'],
      ['guidance', 'cfg'],
      ['sampler', 'sampler'],
    ] as const)
      if (request[field] !== undefined && !chosen.uses.has(placeholder))
        throw http.error(
          'invalid_request',
          `workflow ${chosen.name} has no {{${placeholder}}} placeholder, so it cannot take ${field}`,
        );
    const model = request.model ?? options.model;
    const steps = request.steps ?? options.steps;
    const cfg = request.guidance ?? options.cfg;
    const sampler = request.sampler ?? options.sampler;
    const strength =
      request.inputs?.strength ?? (kindOfRequest(request) === 'image-to-image' ? DEFAULT_STRENGTH : undefined);
    const filled = fillTemplate(
      chosen,
      {
        prompt: request.prompt,
        negative_prompt: request.negativePrompt ?? '',
        seed: request.seed,
        width: request.width,
        height: request.height,
        ...(steps !== undefined ? { steps } : {}),
        ...(cfg !== undefined ? { cfg } : {}),
        ...(sampler ? { sampler } : {}),
        ...(model ? { model } : {}),
        ...(files.image ? { image: files.image } : {}),
        ...(files.mask ? { mask: files.mask } : {}),
        ...(strength !== undefined ? { strength } : {}),
      },
      (name) =>
        http.error(
          'invalid_request',
          `workflow ${chosen.name} needs a value for {{${name}}} (give it a default: {{${name}|...}})`,
        ),
    );
    return withLoras(filled, request.loras ?? [], (why) =>
      http.error('invalid_request', `workflow ${chosen.name} ${why}`),
    );
  }

  /** Opens our socket on `url`, then queues the prompt with its client_id; answers the prompt id. */
  async function queueOn(lease: EngineLease, request: GenerateRequest): Promise<string> {
    const chosen = templateOf(request);
    // Uploaded to the instance that runs the prompt: LoadImage reads its own input directory.
    const graph = graphFor(
      request,
      chosen,
      await uploadInputs(http, headers, lease.url, request.inputs, request.signal),
    );
    const clientId = randomUUID();
    const { socket, early } = await client.openSocket(lease.url, clientId, request.signal);
    try {
      const response = await http.request({
        url: `${lease.url}/prompt`,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        // Not abortable: a prompt the server queued while we stopped listening would run unseen. An
        // abort meanwhile is seen by resume, which then deletes or interrupts the prompt.
        body: JSON.stringify({ prompt: graph, client_id: clientId }),
      });
      if (response.status !== 200) throw client.refused(response);
      const id = http.json(response, ComfyPromptAccepted).prompt_id;
      // A submit whose resume never comes (the caller failed to record the id) must not hold the
      // instance forever: the session is dropped once no image could still be waiting on it.
      const orphan = setTimeout(() => {
        if (sessions.get(id)?.socket !== socket) return;
        sessions.delete(id);
        socket.terminate();
        lease.release();
      }, timeoutMs + 60_000);
      orphan.unref();
      sessions.set(id, { socket, early, lease, orphan });
      request.onVendorStatus?.({ state: 'queued' });
      return id;
    } catch (error) {
      socket.terminate();
      throw error;
    }
  }

  async function collect(url: string, id: string, request: GenerateRequest): Promise<GeneratedImage> {
    const entry = await client.history(url, id, request.signal);
    const ref = Object.values(entry?.outputs ?? {})
      .flatMap((output) => output.images ?? [])
      .find((image) => image.type === 'output');
    if (!ref)
      throw http.error(
        'invalid_request',
        `prompt ${id} finished without an output image (does its workflow save one?)`,
        undefined,
        {
          requestEnded: true,
        },
      );
    const query = new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder, type: ref.type });
    const image = await client.download(`${url}/view?${query.toString()}`, request.signal);
    const model = request.model ?? options.model;
    return { ...image, seed: request.seed, providerRequestId: requestIdOf(url, id), ...(model ? { model } : {}) };
  }

  const provider: ImageProvider = {
    name: 'comfyui',
    capabilities: {
      maxImagesPerRequest: 1,
      imageConditioning: false,
      maxLongSide: 4096,
      models: template.uses.has('model'),
    },
    pricePerImage: options.pricePerImage ?? 1,
    async submit(request) {
      const skipped = new Set<string>();
      for (;;) {
        // Held until resume ends (or this submit fails); fails `transient` once no instance is left.
        const lease = await pool.acquire(request.signal, skipped, request.jobId);
        request.onInstance?.(lease.url);
        try {
          return requestIdOf(lease.url, await queueOn(lease, request));
        } catch (error) {
          lease.release();
          if (!instanceUnreachable(error)) throw error;
          pool.markDown(lease.url);
          skipped.add(lease.url);
        }
      }
    },
    async resume(requestId, request) {
      const { url, id } = parseRequestId(requestId);
      if (!options.urls.includes(url))
        throw http.error('transient', `prompt ${id} was queued on ${url}, which is no longer configured`, undefined, {
          requestEnded: true,
        });
      request.onInstance?.(url);
      // A prompt another (crashed) worker queued: its socket is gone, so the history and queue say when it ends.
      const session = sessions.get(id);
      sessions.delete(id);
      if (session) clearTimeout(session.orphan);
      try {
        let outcome: Outcome;
        try {
          outcome = await client.waitFor(url, id, session?.socket ?? null, session?.early ?? [], request);
        } catch (error) {
          if (instanceUnreachable(error)) {
            // The instance died under the prompt: take it out, and let the next attempt queue the image elsewhere.
            pool.markDown(url);
            throw http.error('transient', `${url} went away while prompt ${id} ran`, undefined, { requestEnded: true });
          }
          // A worker handing the image over (DETACH) leaves the prompt to the next one, which resumes it.
          if (abortCancelsRequest(request.signal) || !request.signal?.aborted)
            await client.cancelPrompt(url, id).catch(() => {});
          throw error;
        }
        if (outcome.kind === 'failed') throw outcome.error;
        return await collect(url, id, request);
      } finally {
        session?.socket.terminate();
        session?.lease.release();
      }
    },
    // GET /queue answers as cheaply as /system_stats and says how much the engine has to do, from every client.
    checkHealth: (signal) => checkPoolHealth(pool, http, options.urls, '/queue', headers, signal, comfyQueueLength),
    catalog: (signal) =>
      catalogOfInstances('comfyui', options.urls, (url) => readComfyCatalog(http, headers, url, signal)),
    async cancel(requestId) {
      const { url, id } = parseRequestId(requestId);
      await client.cancelPrompt(url, id);
    },
    async generate(request) {
      return provider.resume!(await provider.submit!(request), request);
    },
  };
  return provider;
}

/** `<prompt id> <instance url>`: the prompt lives on one instance, so a worker resuming it must know which. */
function requestIdOf(url: string, id: string) {
  return `${id} ${url}`;
}

function parseRequestId(requestId: string) {
  const space = requestId.indexOf(' ');
  return { id: requestId.slice(0, space), url: requestId.slice(space + 1) };
}

/** Prompts running plus pending in ComfyUI's `GET /queue` answer (`queue_running`, `queue_pending` lists). */
export function comfyQueueLength(body: unknown): number | null {
  const queue = body as { queue_running?: unknown; queue_pending?: unknown } | null;
  if (!queue || !Array.isArray(queue.queue_running) || !Array.isArray(queue.queue_pending)) return null;
  return queue.queue_running.length + queue.queue_pending.length;
}
