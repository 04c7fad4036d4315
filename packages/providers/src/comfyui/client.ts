/**
 * ComfyUI's HTTP and WebSocket calls for one adapter: open our socket, read the history, wait for a
 * prompt's end (socket events, or the history and queue when there is no socket), cancel a prompt.
 */
import WebSocket from 'ws';
import type { ProviderError } from '../errors.js';
import { tryJson } from '../http/json.js';
import { codeForStatus, decodeImage, type VendorHttp, type VendorResponse } from '../http/vendor-http.js';
import type { GenerateRequest } from '../provider.js';
import { previewOf } from '../engines/preview.js';
import { FEATURE_FLAGS_MESSAGE, parsePreviewFrame } from './previews.js';
import { ComfyEvent, ComfyHistory, ComfyPromptRefused, ComfyQueue, type ComfyHistoryEntry } from './wire.js';

export type Outcome = { kind: 'done' } | { kind: 'failed'; error: ProviderError };

export interface ComfyClientOptions {
  http: VendorHttp;
  headers: Record<string, string>;
  pollIntervalMs: number;
  timeoutMs: number;
  workflowName: string;
}

export type ComfyClient = ReturnType<typeof makeComfyClient>;

export function makeComfyClient({ http, headers, pollIntervalMs, timeoutMs, workflowName }: ComfyClientOptions) {
  const template = { name: workflowName };
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
      `workflow ${template.name} refused: ${perNode.length > 0 ? perNode.join('; ') : top}`,
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
      // Only until the socket opens: a job's signal outlives many images, and each left listener pins its socket.
      const onAbort = () => fail(http.error('canceled', 'the request was canceled'));
      const fail = (error: ProviderError) => {
        signal?.removeEventListener('abort', onAbort);
        socket.terminate();
        reject(error);
      };
      socket.once('open', () => {
        // Must be the first message: the server then sends previews with their prompt id (event 4).
        socket.send(FEATURE_FLAGS_MESSAGE);
        signal?.removeEventListener('abort', onAbort);
        resolve({ socket, early });
      });
      socket.once('error', (error: Error & { code?: string }) =>
        fail(http.error('transient', `no usable answer (websocket: ${error.code ?? error.message})`)),
      );
      socket.once('unexpected-response', (_, response) =>
        fail(http.error(codeForStatus(response.statusCode ?? 500), `websocket answered ${response.statusCode}`)),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
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
    socket: WebSocket | null,
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
          settledFromHistory(url, id, request.signal).then(
            (outcome) => (outcome ? finish(() => resolve(outcome)) : poll()),
            (error: unknown) => finish(() => reject(error)),
          );
        }, pollIntervalMs);
      };
      if (!socket) return poll();
      socket.on('close', () => {
        if (!settled) poll();
      });
      let running = false;
      let step: { value: number; max: number } | undefined;
      const onText = (raw: Buffer) => {
        const parsed = ComfyEvent.safeParse(tryJson(raw));
        if (settled || !parsed.success || parsed.data.data.prompt_id !== id) return;
        const { type, data } = parsed.data;
        if (!running && (type === 'execution_start' || type === 'executing' || type === 'progress')) {
          running = true;
          request.onVendorStatus?.({ state: 'running' });
        }
        if (type === 'progress' && data.value !== undefined && data.max !== undefined) {
          step = { value: data.value, max: data.max };
          request.onProgress?.(step);
        }
        if (type === 'execution_error' || type === 'execution_interrupted')
          finish(() => resolve({ kind: 'failed', error: failureOf(undefined, parsed.data) }));
        if (type === 'execution_success' || (type === 'executing' && data.node === null))
          finish(() => resolve({ kind: 'done' }));
      };
      const onBinary = (raw: Buffer) => {
        const frame = parsePreviewFrame(raw);
        // A plain preview (event 1) names no prompt: on our own socket it is ours once our prompt runs.
        if (
          settled ||
          !frame ||
          !request.onPreview ||
          (frame.promptId === undefined ? !running : frame.promptId !== id)
        )
          return;
        const preview = previewOf(frame.image, step);
        if (preview) request.onPreview(preview);
      };
      socket.removeAllListeners('message');
      socket.on('message', (raw, isBinary) => {
        const bytes = raw as Buffer; // binaryType is nodebuffer
        if (isBinary) onBinary(bytes);
        else onText(bytes);
      });
      for (const raw of early.splice(0)) onText(raw);
      if (socket.readyState === WebSocket.CLOSED && !settled) poll();
    });
  }

  /**
   * The prompt's outcome from the history; undefined while it is queued or running. A prompt in neither
   * (the server restarted, or its history was cleared) is over: another attempt must queue it again.
   */
  async function settledFromHistory(url: string, id: string, signal?: AbortSignal): Promise<Outcome | undefined> {
    const entry = await history(url, id, signal);
    if (entry)
      return entry.status?.status_str === 'error' ? { kind: 'failed', error: failureOf(entry) } : { kind: 'done' };
    const response = await http.request({ url: `${url}/queue`, headers, ...(signal ? { signal } : {}) });
    if (response.status !== 200) throw http.error(codeForStatus(response.status), `queue answered ${response.status}`);
    const queue = http.json(response, ComfyQueue);
    if ([...queue.queue_running, ...queue.queue_pending].some((item) => item[1] === id)) return undefined;
    // It may have finished between the two reads.
    if (await history(url, id, signal)) return settledFromHistory(url, id, signal);
    return {
      kind: 'failed',
      error: http.error('transient', `prompt ${id} is no longer known to ${url}`, undefined, { requestEnded: true }),
    };
  }

  async function download(url: string, signal?: AbortSignal) {
    // Not http.download: a proxy's auth header must reach /view too.
    const response = await http.request({ url, headers, ...(signal ? { signal } : {}) });
    if (response.status !== 200) throw http.error('transient', `view answered ${response.status}`);
    return decodeImage(response.body, http.error);
  }

  return { refused, openSocket, history, cancelPrompt, waitFor, download };
}
