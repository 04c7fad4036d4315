/**
 * A fake AUTOMATIC1111 web UI API (`--api`), written from `modules/api/api.py` and `models.py`: HTTP
 * Basic on `/sdapi/v1/*` when `auth` is set (401 in A1111's middleware error shape), txt2img bodies
 * validated field by field with FastAPI/pydantic v1's 422 shape, one job at a time behind a FIFO queue
 * lock (a second request waits with its connection open, its forced task id reported `queued` by
 * `/internal/progress`), `steps` sampler steps of `stepMs` each, `/sdapi/v1/progress`, `/interrupt`
 * (ends the running job early; the call still answers 200 with what was made, as A1111 does),
 * `/sdapi/v1/img2img` (init image and mask decoded, 404 without an init image), `/sdapi/v1/sd-models`,
 * `/sdapi/v1/samplers` and `/sdapi/v1/loras` (outside --api-auth). An unknown
 * `override_settings.sd_model_checkpoint` is silently dropped, as A1111 does; `<lora:name:w>` prompt
 * tags are recorded per job. The prompt word "oom" fails the job with a 500 OutOfMemoryError. Live
 * previews (a1111-previews.ts) come every `showProgressEveryNSteps` steps (default 10, as A1111's).
 */
import sharp from 'sharp';
import { bodyIssues } from './a1111-validate.js';
import { internalLivePreview, newLivePreview, setCurrentImage, type LivePreviewState } from './a1111-previews.js';
import { fakePng, startFakeHttpServer, type FakeHttpServer, type FakeReply } from './fake-http.js';

export interface FakeA1111Model {
  title: string;
  model_name: string;
  hash: string;
}

export interface FakeA1111Inputs {
  /** img2img: the decoded init image and mask, as the server's PIL would see them. */
  initImage?: Buffer;
  mask?: Buffer;
}

export interface FakeA1111Job extends FakeA1111Inputs {
  taskId: string;
  body: Record<string, unknown>;
  interrupted: boolean;
  /** `<lora:name:weight>` tags of the prompt (the Lora extension's syntax). */
  loras: { name: string; weight: number }[];
}

function promptLoras(prompt: unknown) {
  return [...String(prompt ?? '').matchAll(/<lora:([^:>]+):([^>]+)>/g)].map((m) => ({
    name: m[1]!,
    weight: Number(m[2]),
  }));
}

/** `decode_base64_to_image`: an optional data: prefix, then base64 that PIL must open (else 500). */
async function decodeImageField(value: string): Promise<Buffer | null> {
  const bytes = Buffer.from(value.replace(/^data:image\/\w+;base64,/, ''), 'base64');
  try {
    await sharp(bytes).metadata();
    return bytes;
  } catch {
    return null;
  }
}

/** img2img's init image (required: a missing one is 404) and mask, decoded. */
async function decodeInputs(body: Record<string, unknown>): Promise<FakeA1111Inputs | { refused: FakeReply }> {
  const init = body.init_images as string[] | null | undefined;
  if (!init) return { refused: a1111Error(404, 'HTTPException', 'Init image not found') };
  const initImage = init[0] === undefined ? null : await decodeImageField(init[0]);
  const mask = typeof body.mask === 'string' ? await decodeImageField(body.mask) : undefined;
  if (!initImage || mask === null) return { refused: a1111Error(500, 'HTTPException', 'Invalid encoded image') };
  return { initImage, ...(mask ? { mask } : {}) };
}

export interface FakeA1111 extends FakeHttpServer {
  /** Every txt2img that passed validation, in arrival order. */
  readonly jobs: FakeA1111Job[];
  /** How many times `/sdapi/v1/interrupt` was called. */
  readonly interrupts: number;
  /** The task id running now, or null. */
  readonly running: string | null;
  /** Milliseconds per sampler step; change it to make the server slow. */
  stepMs: number;
}

export const FAKE_A1111_MODELS: FakeA1111Model[] = [
  { title: 'v1-5-pruned-emaonly.safetensors [6ce0161689]', model_name: 'v1-5-pruned-emaonly', hash: '6ce0161689' },
  { title: 'sdxl/sd_xl_base_1.0.safetensors [31e35c80fc]', model_name: 'sdxl_sd_xl_base_1.0', hash: '31e35c80fc' },
];

export const FAKE_A1111_LORAS = ['add_detail', 'ink_wash_v2'];
/** Name and one alias, as `sd_samplers.all_samplers` lists them. */
export const FAKE_A1111_SAMPLERS = [
  ['Euler a', 'k_euler_a'],
  ['Euler', 'k_euler'],
  ['DPM++ 2M', 'k_dpmpp_2m'],
  ['DDIM', 'ddim'],
] as const;

const a1111Error = (status: number, error: string, detail: string, errors = ''): FakeReply => ({
  status,
  json: { error, detail, body: '', errors },
});

export async function startFakeA1111(
  options: {
    auth?: string;
    stepMs?: number;
    models?: FakeA1111Model[];
    loras?: string[];
    showProgressEveryNSteps?: number;
    /** False: a build without `/internal/progress` (404). */
    internalProgress?: boolean;
  } = {},
): Promise<FakeA1111> {
  const models = options.models ?? FAKE_A1111_MODELS;
  const loras = options.loras ?? FAKE_A1111_LORAS;
  const jobs: FakeA1111Job[] = [];
  const pending = new Set<string>();
  const finished: string[] = [];
  let interrupts = 0;
  let wakeStep: (() => void) | null = null;
  let current: (LivePreviewState & { job: FakeA1111Job }) | null = null;
  const showEvery = options.showProgressEveryNSteps ?? 10;
  let lock: Promise<void> = Promise.resolve();
  let taskCounter = 0;
  const state = { stepMs: options.stepMs ?? 2 };

  async function txt2img(body: Record<string, unknown>, decoded: FakeA1111Inputs): Promise<FakeReply> {
    const taskId = typeof body.force_task_id === 'string' ? body.force_task_id : `task(txt2img-${++taskCounter})`;
    const job: FakeA1111Job = { taskId, body, interrupted: false, ...decoded, loras: promptLoras(body.prompt) };
    jobs.push(job);
    pending.add(taskId);
    // call_queue.queue_lock: FIFO, and the connection stays open while waiting.
    const previous = lock;
    let unlock!: () => void;
    lock = new Promise((resolve) => (unlock = resolve));
    await previous;
    pending.delete(taskId);
    try {
      const steps = Number(body.steps ?? 50);
      current = { job, ...newLivePreview(steps) };
      for (let step = 1; step <= steps && !job.interrupted; step++) {
        // An interrupt ends the step being slept through at once, however long a step is.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, state.stepMs);
          wakeStep = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wakeStep = null;
        if (job.interrupted) break;
        current.step = step;
      }
      const prompt = String(body.prompt ?? '');
      if (prompt.includes('oom'))
        return a1111Error(500, 'OutOfMemoryError', '', 'CUDA out of memory. Tried to allocate 2.00 GiB');
      const width = Number(body.width ?? 512);
      const height = Number(body.height ?? 512);
      const wanted = (body.override_settings as { sd_model_checkpoint?: string } | null)?.sd_model_checkpoint;
      const model = models.find((m) => [m.title, m.model_name, m.hash].includes(wanted ?? '')) ?? models[0]!;
      const seed = Number(body.seed ?? -1) === -1 ? Math.floor(Math.random() * 2 ** 31) : Number(body.seed);
      const png = await fakePng(width, height);
      const info = {
        prompt,
        all_prompts: [prompt],
        negative_prompt: body.negative_prompt ?? '',
        seed,
        all_seeds: [seed],
        width,
        height,
        sampler_name: body.sampler_name ?? 'Euler',
        cfg_scale: body.cfg_scale ?? 7,
        steps,
        batch_size: 1,
        sd_model_name: model.model_name,
        sd_model_hash: model.hash,
        index_of_first_image: 0,
        infotexts: [prompt],
        version: 'v1.10.1',
      };
      return { status: 200, json: { images: [png.toString('base64')], parameters: body, info: JSON.stringify(info) } };
    } finally {
      current = null;
      finished.push(taskId);
      finished.splice(0, Math.max(0, finished.length - 16));
      unlock();
    }
  }

  const server = await startFakeHttpServer(async (incoming, url) => {
    const path = url.pathname;
    if (path === '/internal/progress' && incoming.method === 'POST' && options.internalProgress !== false) {
      const request = JSON.parse(incoming.body.toString('utf8') || '{}') as {
        id_task?: string;
        id_live_preview?: unknown;
        live_preview?: unknown;
      };
      const id = request.id_task;
      const running = current;
      const active = running !== null && running.job.taskId === id;
      const queued = id !== undefined && pending.has(id);
      const body: Record<string, unknown> = { active, queued, completed: id !== undefined && finished.includes(id) };
      if (active)
        Object.assign(body, {
          progress: running.step / running.steps,
          eta: 1,
          textinfo: null,
          ...(await internalLivePreview(running, request, showEvery)),
        });
      else Object.assign(body, { id_live_preview: -1, textinfo: queued ? 'In queue: 1/1' : 'Waiting...' });
      return { status: 200, json: body };
    }
    // `/internal/ping` answers {} without auth (modules/api/api.py), for health checks.
    if (incoming.method === 'GET' && path === '/internal/ping') return { status: 200, json: {} };
    // The Lora extension registers its route with @app.get, outside --api-auth.
    if (incoming.method === 'GET' && path === '/sdapi/v1/loras')
      return {
        status: 200,
        json: loras.map((name) => ({ name, alias: name, path: `/models/Lora/${name}.safetensors`, metadata: {} })),
      };
    if (!path.startsWith('/sdapi/v1/')) return { status: 404, json: { detail: 'Not Found' } };
    if (options.auth && incoming.headers.authorization !== `Basic ${Buffer.from(options.auth).toString('base64')}`) {
      return {
        status: 401,
        headers: { 'www-authenticate': 'Basic' },
        json: { error: 'HTTPException', detail: 'Incorrect username or password', body: '', errors: '' },
      };
    }
    const route = `${incoming.method} ${path}`;
    if (route === 'POST /sdapi/v1/txt2img' || route === 'POST /sdapi/v1/img2img') {
      const endpoint = route === 'POST /sdapi/v1/txt2img' ? 'txt2img' : 'img2img';
      let body: unknown;
      try {
        body = JSON.parse(incoming.body.toString('utf8'));
      } catch (error) {
        return {
          status: 422,
          json: { detail: [{ loc: ['body', 0], msg: (error as Error).message, type: 'value_error.jsondecode' }] },
        };
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        return {
          status: 422,
          json: { detail: [{ loc: ['body'], msg: 'value is not a valid dict', type: 'type_error.dict' }] },
        };
      const detail = bodyIssues(endpoint, body as Record<string, unknown>);
      if (detail.length > 0) return { status: 422, json: { detail } };
      if (endpoint === 'txt2img') return txt2img(body as Record<string, unknown>, {});
      const decoded = await decodeInputs(body as Record<string, unknown>);
      if ('refused' in decoded) return decoded.refused;
      return txt2img(body as Record<string, unknown>, decoded);
    }
    if (route === 'GET /sdapi/v1/progress') {
      const running = current;
      const withImage = url.searchParams.get('skip_current_image') !== 'true';
      if (running && withImage) await setCurrentImage(running, showEvery);
      return {
        status: 200,
        json: {
          progress: running ? running.step / running.steps : 0,
          eta_relative: running ? ((running.steps - running.step) * state.stepMs) / 1000 : 0,
          state: {
            skipped: false,
            interrupted: running?.job.interrupted ?? false,
            stopping_generation: false,
            job: running ? 'txt2img' : '',
            job_count: running ? 1 : 0,
            job_timestamp: '20261205000000',
            job_no: 0,
            sampling_step: running?.step ?? 0,
            sampling_steps: running?.steps ?? 0,
          },
          current_image: running?.preview && withImage ? running.preview.toString('base64') : null,
          textinfo: null,
        },
      };
    }
    if (route === 'POST /sdapi/v1/interrupt') {
      interrupts++;
      if (current) current.job.interrupted = true;
      wakeStep?.();
      return { status: 200, json: {} };
    }
    if (route === 'GET /sdapi/v1/samplers')
      return {
        status: 200,
        json: FAKE_A1111_SAMPLERS.map(([name, alias]) => ({ name, aliases: [alias], options: {} })),
      };
    if (route === 'GET /sdapi/v1/sd-models')
      return {
        status: 200,
        json: models.map((m) => ({ ...m, sha256: null, filename: `/models/${m.title}`, config: null })),
      };
    return { status: 404, json: { detail: 'Not Found' } };
  });

  return {
    ...server,
    jobs,
    get interrupts() {
      return interrupts;
    },
    get running() {
      return current?.job.taskId ?? null;
    },
    get stepMs() {
      return state.stepMs;
    },
    set stepMs(ms: number) {
      state.stepMs = ms;
    },
  };
}
