/**
 * A fake ComfyUI server, written from `server.py`, `execution.py` and `main.py`: `POST /prompt`
 * (validated as comfyui-nodes.ts does, 400 with `node_errors`), a FIFO queue running one prompt at a
 * time, `steps` sampler steps of `stepMs` each, the `/ws?clientId=` socket with the documented event
 * sequence addressed to the prompt's `client_id`, `/history/{id}` (`{}` until done), `/view`,
 * `GET/POST /queue` (`delete` removes pending prompts only) and `POST /interrupt` (with a `prompt_id`
 * only that prompt). Each finished prompt writes a real PNG of the EmptyLatentImage size. `dropSockets()`
 * closes every socket (a proxy restart); prompts keep running. The prompt text "explode" makes the
 * sampler raise (execution_error); `requiredHeader` refuses HTTP and WS without it (a reverse proxy).
 * Each sampler step also sends a binary preview frame (comfyui-previews.ts) unless `previews` is false
 * (`--preview-method none`); `featureFlags: false` is a server too old to answer feature negotiation.
 */
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { objectInfoOf, validatePrompt, type ApiGraph } from './comfyui-nodes.js';
import sharp from 'sharp';
import { fakeUpload, type FakeUpload } from './comfyui-uploads.js';
import { makeComfyPreviews } from './comfyui-previews.js';
import type { PreviewFormat } from './preview-images.js';
import { fakePng, startFakeHttpServer, type FakeHttpServer, type FakeReply } from './fake-http.js';

interface QueueItem {
  number: number;
  id: string;
  prompt: ApiGraph;
  clientId: string | undefined;
  outputs: string[];
  interrupted: boolean;
  /** Ends the step being slept through, so an interrupt takes effect at once however long a step is. */
  wake?: () => void;
}

export interface FakeComfyUI extends FakeHttpServer {
  /** Every prompt accepted by POST /prompt, in order. */
  readonly prompts: { id: string; prompt: ApiGraph; clientId: string | undefined }[];
  /** Prompt ids removed from the queue by POST /queue {delete}. */
  readonly deleted: string[];
  /** The bodies of POST /interrupt (null when empty). */
  readonly interrupts: ({ prompt_id?: string } | null)[];
  readonly running: string | null;
  readonly pending: string[];
  /** Milliseconds per sampler step; change it to make the server slow. */
  stepMs: number;
  /** Every upload that reached /upload/image or /upload/mask with a file part. */
  readonly uploads: FakeUpload[];
  /** A stored file by `type/subfolder/name` (`input/darkroom/x.png`). */
  file(key: string): Buffer | undefined;
  /** Closes every WebSocket. */
  dropSockets(): void;
  /** Binary preview frames sent, by the event type each carried (1 or 4). */
  readonly previewsSent: { event: number; promptId: string }[];
}

export async function startFakeComfyUI(
  options: {
    stepMs?: number;
    requiredHeader?: string;
    previews?: boolean;
    previewFormat?: PreviewFormat;
    featureFlags?: boolean;
  } = {},
): Promise<FakeComfyUI> {
  const state = { stepMs: options.stepMs ?? 2 };
  const sockets = new Map<string, WebSocket>();
  const previews = makeComfyPreviews({
    sockets,
    enabled: options.previews !== false,
    format: options.previewFormat ?? 'jpeg',
    featureFlags: options.featureFlags !== false,
  });
  const queue: QueueItem[] = [];
  const history = new Map<string, unknown>();
  const files = new Map<string, Buffer>();
  const prompts: FakeComfyUI['prompts'] = [];
  const deleted: string[] = [];
  const interrupts: FakeComfyUI['interrupts'] = [];
  const uploads: FakeUpload[] = [];
  /** LoadImage's `image` value (`subfolder/name`) as a key of `files`. */
  const inputKey = (name: string) => {
    const slash = name.lastIndexOf('/');
    return `input/${slash < 0 ? '' : name.slice(0, slash)}/${name.slice(slash + 1)}`;
  };
  let running: QueueItem | null = null;
  let counter = 0;
  let fileCounter = 0;

  const send = (clientId: string | undefined, type: string, data: Record<string, unknown>) => {
    const message = JSON.stringify({ type, data });
    // server.send_sync: addressed to the prompt's client, or to every socket when it has none.
    if (clientId) sockets.get(clientId)?.send(message);
    else for (const socket of sockets.values()) socket.send(message);
  };
  const queueStatus = () => {
    const data = { status: { exec_info: { queue_remaining: queue.length + (running ? 1 : 0) } } };
    for (const socket of sockets.values()) socket.send(JSON.stringify({ type: 'status', data }));
  };

  async function execute(item: QueueItem) {
    const { id, clientId, prompt } = item;
    const messages: [string, Record<string, unknown>][] = [];
    const event = (type: string, data: Record<string, unknown>, toAll = false) => {
      const full = { ...data, prompt_id: id, timestamp: Date.now() };
      if (type.startsWith('execution_')) messages.push([type, full]);
      send(toAll ? undefined : clientId, type, full);
    };
    event('execution_start', {});
    event('execution_cached', { nodes: [] });
    const outputs: Record<string, unknown> = {};
    let status: 'success' | 'error' = 'success';
    const order = Object.keys(prompt).sort(
      (a, b) => (prompt[a]!.class_type === 'SaveImage' ? 1 : 0) - (prompt[b]!.class_type === 'SaveImage' ? 1 : 0),
    );
    for (const node of order) {
      const { class_type: type, inputs = {} } = prompt[node]!;
      event('executing', { node, display_node: node });
      if (type === 'KSampler') {
        const steps = Number(inputs.steps);
        for (let step = 1; step <= steps && !item.interrupted; step++) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, state.stepMs);
            item.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          if (item.interrupted) break;
          // progress goes to the client when the prompt has one (to all sockets otherwise).
          send(clientId, 'progress', { value: step, max: steps, prompt_id: id, node });
          await previews.send(item, node, step, steps);
        }
        const texts = Object.values(prompt)
          .filter((n) => n.class_type === 'CLIPTextEncode')
          .map((n) => String(n.inputs?.text));
        if (!item.interrupted && texts.some((text) => text.includes('explode'))) {
          status = 'error';
          event('execution_error', {
            node_id: node,
            node_type: type,
            executed: [],
            exception_message: 'Allocation on device would exceed allowed memory. (out of memory)',
            exception_type: 'torch.OutOfMemoryError',
            traceback: ['Traceback (most recent call last):'],
            current_inputs: {},
            current_outputs: [],
          });
          break;
        }
      }
      if (item.interrupted) {
        status = 'error';
        event('execution_interrupted', { node_id: node, node_type: type, executed: [] }, true);
        break;
      }
      if (type === 'SaveImage') {
        const { width, height } = await outputSize(prompt);
        const filename = `${String(inputs.filename_prefix ?? 'ComfyUI')}_${String(++fileCounter).padStart(5, '0')}_.png`;
        files.set(`output//${filename}`, await fakePng(width, height));
        outputs[node] = { images: [{ filename, subfolder: '', type: 'output' }] };
        event('executed', { node, display_node: node, output: outputs[node] });
      }
    }
    if (status === 'success') event('execution_success', {});
    history.set(id, {
      prompt: [item.number, id, prompt, { client_id: clientId }, item.outputs],
      outputs,
      status: { status_str: status, completed: status === 'success', messages },
      meta: {},
    });
    send(clientId, 'executing', { node: null, prompt_id: id });
  }

  /** The saved image's size: the ImageScale's, else the loaded image's, else the empty latent's. */
  async function outputSize(prompt: ApiGraph): Promise<{ width: number; height: number }> {
    const of = (type: string) => Object.values(prompt).find((n) => n.class_type === type)?.inputs;
    const sized = of('ImageScale') ?? of('EmptyLatentImage');
    if (sized) return { width: Number(sized.width ?? 512), height: Number(sized.height ?? 512) };
    const loaded = files.get(inputKey(String(of('LoadImage')?.image)));
    const meta = loaded ? await sharp(loaded).metadata() : { width: 512, height: 512 };
    return { width: meta.width, height: meta.height };
  }

  async function worker() {
    while (queue.length > 0 && !running) {
      queue.sort((a, b) => a.number - b.number);
      running = queue.shift()!;
      queueStatus();
      await execute(running);
      running = null;
      queueStatus();
    }
  }

  const wss = new WebSocketServer({ noServer: true });
  const server = await startFakeHttpServer(
    async (incoming, url): Promise<FakeReply> => {
      const path = url.pathname.replace(/^\/api(?=\/)/, '');
      const route = `${incoming.method} ${path}`;
      if (options.requiredHeader && incoming.headers.authorization !== options.requiredHeader)
        return { status: 401, body: '401 Unauthorized' };
      const body = () => JSON.parse(incoming.body.toString('utf8') || '{}') as Record<string, unknown>;
      if (route === 'POST /prompt') {
        const json = body();
        if (!('prompt' in json))
          return {
            status: 400,
            json: {
              error: {
                type: 'no_prompt',
                message: 'No prompt provided',
                details: 'No prompt provided',
                extra_info: {},
              },
              node_errors: {},
            },
          };
        const checked = validatePrompt(json.prompt, (name) => files.has(inputKey(name)));
        if (!checked.ok) return { status: checked.status, json: checked.body };
        const id = randomUUID();
        const clientId = typeof json.client_id === 'string' ? json.client_id : undefined;
        const item = {
          number: counter++,
          id,
          prompt: json.prompt as ApiGraph,
          clientId,
          outputs: checked.outputs,
          interrupted: false,
        };
        queue.push(item);
        prompts.push({ id, prompt: item.prompt, clientId });
        queueStatus();
        void worker();
        return { status: 200, json: { prompt_id: id, number: item.number, node_errors: {} } };
      }
      if (route === 'POST /upload/image' || route === 'POST /upload/mask')
        return fakeUpload(route === 'POST /upload/image' ? 'image' : 'mask', incoming, files, uploads);
      if (route === 'GET /queue') {
        const entry = (item: QueueItem) => [
          item.number,
          item.id,
          item.prompt,
          { client_id: item.clientId },
          item.outputs,
        ];
        return {
          status: 200,
          json: { queue_running: running ? [entry(running)] : [], queue_pending: queue.map(entry) },
        };
      }
      if (route === 'POST /queue') {
        for (const id of (body().delete as string[] | undefined) ?? []) {
          const index = queue.findIndex((item) => item.id === id);
          if (index >= 0) {
            queue.splice(index, 1);
            deleted.push(id);
          }
        }
        queueStatus();
        return { status: 200 };
      }
      if (route === 'POST /interrupt') {
        const json = incoming.body.length > 0 ? (body() as { prompt_id?: string }) : null;
        interrupts.push(json);
        if (running && (!json?.prompt_id || json.prompt_id === running.id)) {
          running.interrupted = true;
          running.wake?.();
        }
        return { status: 200 };
      }
      const historyMatch = /^\/history\/([^/]+)$/.exec(path);
      if (incoming.method === 'GET' && historyMatch) {
        const entry = history.get(historyMatch[1]!);
        return { status: 200, json: entry ? { [historyMatch[1]!]: entry } : {} };
      }
      if (route === 'GET /view') {
        const filename = url.searchParams.get('filename');
        if (!filename) return { status: 404 };
        if (filename.startsWith('/') || filename.includes('..')) return { status: 400 };
        const file = files.get(
          `${url.searchParams.get('type') ?? 'output'}/${url.searchParams.get('subfolder') ?? ''}/${filename}`,
        );
        return file ? { status: 200, headers: { 'content-type': 'image/png' }, body: file } : { status: 404 };
      }
      if (route === 'GET /system_stats')
        return {
          status: 200,
          json: {
            system: { os: 'posix', comfyui_version: '0.3.64', python_version: '3.12.3', embedded_python: false },
            devices: [{ name: 'cuda:0 fake', type: 'cuda', index: 0, vram_total: 25_769_803_776, vram_free: 20e9 }],
          },
        };
      const objectInfo = /^\/object_info\/([^/]+)$/.exec(path);
      if (incoming.method === 'GET' && objectInfo) return { status: 200, json: objectInfoOf(objectInfo[1]!) };
      return { status: 404, body: '404: Not Found' };
    },
    {
      upgrade(request, socket, head) {
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        if (
          url.pathname.replace(/^\/api(?=\/)/, '') !== '/ws' ||
          (options.requiredHeader && request.headers.authorization !== options.requiredHeader)
        ) {
          socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
          return;
        }
        wss.handleUpgrade(request, socket, head, (ws) => {
          const sid = url.searchParams.get('clientId') || randomUUID().replace(/-/g, '');
          // Reusing a clientId replaces the old socket.
          sockets.get(sid)?.close();
          sockets.set(sid, ws);
          ws.on('close', () => {
            if (sockets.get(sid) !== ws) return;
            sockets.delete(sid);
            previews.forget(sid);
          });
          previews.negotiate(ws, sid);
          ws.send(
            JSON.stringify({
              type: 'status',
              data: { status: { exec_info: { queue_remaining: queue.length + (running ? 1 : 0) } }, sid },
            }),
          );
        });
      },
    },
  );
  return {
    ...server,
    prompts,
    previewsSent: previews.sent,
    deleted,
    uploads,
    file: (key) => files.get(key),
    interrupts,
    get running() {
      return running?.id ?? null;
    },
    get pending() {
      return queue.map((item) => item.id);
    },
    get stepMs() {
      return state.stepMs;
    },
    set stepMs(ms: number) {
      state.stepMs = ms;
    },
    dropSockets() {
      for (const socket of sockets.values()) socket.terminate();
    },
    async close() {
      for (const socket of sockets.values()) socket.terminate();
      wss.close();
      await server.close();
    },
  };
}
