import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { ProviderError } from '../errors.js';
import { tryJson } from '../http/json.js';
import { codeForStatus, decodeImage, makeVendorHttp, type VendorResponse } from '../http/vendor-http.js';
import { instanceUnreachable, makeEnginePool } from '../engines/pool.js';
import type { GenerateRequest, GeneratedImage, ImageProvider } from '../provider.js';
import {
  ComfyEvent,
  ComfyHistory,
  ComfyPromptAccepted,
  ComfyPromptRefused,
  ComfyQueue,
  type ComfyHistoryEntry,
} from './wire.js';
import { fillTemplate, loadWorkflowTemplates, type WorkflowTemplate } from './workflow.js';

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
  /** Templates by name (see workflow.ts). Default: the built-in `txt2img` only. */
  templates?: Map<string, WorkflowTemplate>;
  /** The template used. Default `txt2img`. */
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

type Outcome = { kind: 'done' } | { kind: 'failed'; error: ProviderError };

/**
 * ComfyUI: a workflow template filled per image, `POST /prompt` with our socket's `client_id`, progress
 * and the end from the `/ws` socket (the history when the socket drops), the image from `/history` then
 * `/view`. A canceled image is deleted from the queue while it waits and interrupted (by prompt id) while
 * it runs.
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

  function refused(response: VendorResponse) {
    const parsed = ComfyPromptRefused.safeParse(tryJson(response.body));
    if (response.status !== 400 || !parsed.success)
      return http.error(codeForStatus(response.status), `prompt answered ${response.status}`);
    const { error, node_errors: nodes = {} } = parsed.data;
    const top =
      typeof error === 'string'
        ? error
        : `${error.type}: ${error.message}${error.details ? ` (${error.details})` : ''}`;
    const perNode = Object.entries(nodes).map(
      ([id, node]) =>
        `node ${id} (${node.class_type ?? '?'}): ${node.errors.map((e) => `${e.message}${e.details ? `: ${e.details}` : ''}`).join('; ')}`,
    );
    return http.error(
      'invalid_request',
      `workflow ${template!.name} refused: ${perNode.length > 0 ? perNode.join('; ') : top}`,
    );
  }

  /** Opens our socket; frames that arrive before the prompt id is known are kept in `early`. */
  function openSocket(
    url: string,
    clientId: string,
    signal?: AbortSignal,
  ): Promise<{ socket: WebSocket; early: Buffer[] }> {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?clientId=${clientId}`, {
      headers,
      handshakeTimeout: 10_000,
    });
    const early: Buffer[] = [];
    // Events for a fast prompt can arrive before POST /prompt answers with its id.
    socket.on('message', (raw, isBinary) => {
      if (!isBinary) early.push(Buffer.from(raw as Buffer));
    });
    return new Promise((resolve, reject) => {
      const fail = (error: ProviderError) => {
        socket.terminate();
        reject(error);
      };
      socket.once('open', () => resolve({ socket, early }));
      socket.once('error', (error: Error & { code?: string }) =>
        fail(http.error('transient', `no usable answer (websocket: ${error.code ?? error.message})`)),
      );
      socket.once('unexpected-response', (_, response) =>
        fail(http.error(codeForStatus(response.statusCode ?? 500), `websocket answered ${response.statusCode}`)),
      );
      signal?.addEventListener('abort', () => fail(http.error('canceled', 'the request was canceled')), { once: true });
    });
  }

  async function history(url: string, id: string, signal?: AbortSignal): Promise<ComfyHistoryEntry | undefined> {
    const response = await http.request({
      url: `${url}/history/${encodeURIComponent(id)}`,
      headers,
      ...(signal ? { signal } : {}),
    });
    if (response.status !== 200)
      throw http.error(codeForStatus(response.status), `history answered ${response.status}`);
    return http.json(response, ComfyHistory)[id];
  }

  /** Deletes the prompt while it is queued, interrupts it (only it) while it runs. */
  async function cancelPrompt(url: string, id: string) {
    const response = await http.request({ url: `${url}/queue`, headers, timeoutMs: 5000 });
    const queue = http.json(response, ComfyQueue);
    const post = (path: string, body: unknown) =>
      http.request({
        url: `${url}${path}`,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        timeoutMs: 5000,
      });
    if (queue.queue_pending.some((item) => item[1] === id)) await post('/queue', { delete: [id] });
    if (queue.queue_running.some((item) => item[1] === id)) await post('/interrupt', { prompt_id: id });
  }

  function failureOf(entry: ComfyHistoryEntry | undefined, event?: { type: string; data: Record<string, unknown> }) {
    const [type, data] = event
      ? [event.type, event.data]
      : (entry?.status?.messages.find(
          ([name]) =>
            name.startsWith('execution_') &&
            name !== 'execution_start' &&
            name !== 'execution_cached' &&
            name !== 'execution_success',
        ) ?? ['execution_error', {}]);
    const node = `node ${String(data.node_id ?? '?')} (${String(data.node_type ?? '?')})`;
    if (type === 'execution_interrupted')
      return http.error('transient', `prompt was interrupted on the server at ${node}`, undefined, {
        requestEnded: true,
      });
    const message = String(data.exception_message ?? 'failed');
    // Out of memory passes with a smaller batch elsewhere or later; another node exception would repeat.
    const code = /out of memory|OutOfMemory/i.test(`${message} ${String(data.exception_type ?? '')}`)
      ? 'transient'
      : 'invalid_request';
    return http.error(code, `${node} failed: ${message.split('\n')[0]}`, undefined, { requestEnded: true });
  }

  /** Waits for the prompt's end: socket events while the socket lives, the history after it drops. */
  function waitFor(
    url: string,
    id: string,
    socket: WebSocket,
    early: Buffer[],
    request: GenerateRequest,
  ): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let polling: NodeJS.Timeout | undefined;
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(polling);
        clearTimeout(deadline);
        request.signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const onAbort = () => finish(() => reject(http.error('canceled', 'the request was canceled')));
      const deadline = setTimeout(
        () => finish(() => reject(http.error('timeout', `no image within ${timeoutMs} ms`))),
        timeoutMs,
      );
      request.signal?.addEventListener('abort', onAbort, { once: true });
      if (request.signal?.aborted) onAbort();
      const poll = () => {
        polling = setTimeout(() => {
          history(url, id, request.signal).then(
            (entry) => {
              if (!entry) return poll();
              finish(() =>
                resolve(
                  entry.status?.status_str === 'error' ? { kind: 'failed', error: failureOf(entry) } : { kind: 'done' },
                ),
              );
            },
            (error: unknown) => finish(() => reject(error)),
          );
        }, pollIntervalMs);
      };
      socket.on('close', () => {
        if (!settled) poll();
      });
      let running = false;
      const onText = (raw: Buffer) => {
        const parsed = ComfyEvent.safeParse(tryJson(raw));
        if (settled || !parsed.success || parsed.data.data.prompt_id !== id) return;
        const { type, data } = parsed.data;
        if (!running && (type === 'execution_start' || type === 'executing' || type === 'progress')) {
          running = true;
          request.onVendorStatus?.({ state: 'running' });
        }
        if (type === 'progress' && data.value !== undefined && data.max !== undefined)
          request.onProgress?.({ value: data.value, max: data.max });
        if (type === 'execution_error' || type === 'execution_interrupted')
          finish(() => resolve({ kind: 'failed', error: failureOf(undefined, parsed.data) }));
        if (type === 'execution_success' || (type === 'executing' && data.node === null))
          finish(() => resolve({ kind: 'done' }));
      };
      // Binary frames are previews (kept for the previews issue); text frames are events.
      socket.removeAllListeners('message');
      socket.on('message', (raw, isBinary) => {
        if (!isBinary) onText(Buffer.from(raw as Buffer));
      });
      for (const raw of early.splice(0)) onText(raw);
      if (socket.readyState === WebSocket.CLOSED && !settled) poll();
    });
  }

  async function generateOn(url: string, request: GenerateRequest): Promise<GeneratedImage> {
    if (request.model && !template!.uses.has('model'))
      throw http.error(
        'invalid_request',
        `workflow ${template!.name} has no {{model}} placeholder, so it cannot take a model`,
      );
    const graph = fillTemplate(
      template!,
      {
        prompt: request.prompt,
        negative_prompt: request.negativePrompt ?? '',
        seed: request.seed,
        width: request.width,
        height: request.height,
        ...(options.steps !== undefined ? { steps: options.steps } : {}),
        ...(options.cfg !== undefined ? { cfg: options.cfg } : {}),
        ...(options.sampler ? { sampler: options.sampler } : {}),
        ...((request.model ?? options.model) ? { model: request.model ?? options.model } : {}),
      },
      (name) =>
        http.error(
          'invalid_request',
          `workflow ${template!.name} needs a value for {{${name}}} (give it a default: {{${name}|...}})`,
        ),
    );
    const clientId = randomUUID();
    const { socket, early } = await openSocket(url, clientId, request.signal);
    try {
      const response = await http.request({
        url: `${url}/prompt`,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        // Not abortable: a prompt the server queued while we stopped listening would run unseen. An
        // abort meanwhile is seen by waitFor, which then deletes or interrupts the prompt.
        body: JSON.stringify({ prompt: graph, client_id: clientId }),
      });
      if (response.status !== 200) throw refused(response);
      const id = http.json(response, ComfyPromptAccepted).prompt_id;
      request.onVendorStatus?.({ state: 'queued' });
      let outcome: Outcome;
      try {
        outcome = await waitFor(url, id, socket, early, request);
      } catch (error) {
        // Nothing can pick this prompt up later (no resume yet), so a canceled, detached or timed-out
        // image leaves the queue or stops running.
        if (!instanceUnreachable(error)) await cancelPrompt(url, id).catch(() => {});
        throw error;
      }
      if (outcome.kind === 'failed') throw outcome.error;
      const entry = await history(url, id, request.signal);
      const ref = Object.values(entry?.outputs ?? {})
        .flatMap((output) => output.images ?? [])
        .find((image) => image.type === 'output');
      if (!ref)
        throw http.error('invalid_request', `workflow ${template!.name} finished without an output image`, undefined, {
          requestEnded: true,
        });
      const query = new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder, type: ref.type });
      const image = await downloadFrom(`${url}/view?${query.toString()}`, request.signal);
      const model = request.model ?? options.model;
      return { ...image, seed: request.seed, providerRequestId: id, ...(model ? { model } : {}) };
    } finally {
      socket.terminate();
    }
  }

  async function downloadFrom(url: string, signal?: AbortSignal) {
    // Not http.download: a proxy's auth header must reach /view too.
    const response = await http.request({ url, headers, ...(signal ? { signal } : {}) });
    if (response.status !== 200) throw http.error('transient', `view answered ${response.status}`);
    return decodeImage(response.body, http.error);
  }

  return {
    name: 'comfyui',
    capabilities: {
      maxImagesPerRequest: 1,
      imageConditioning: false,
      maxLongSide: 4096,
      models: template.uses.has('model'),
    },
    pricePerImage: options.pricePerImage ?? 1,
    async generate(request) {
      const skipped = new Set<string>();
      for (;;) {
        const lease = await pool.acquire(request.signal, skipped);
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
