/**
 * A fake fal queue: `POST /<model id>` enqueues behind `queueAhead` others (the position drops by one
 * per status poll), then the request runs for a poll and completes. Status answers 202 until COMPLETED
 * (200); result and cancel live under `/<owner>/<app>/requests/<id>`. `X-Fal-Request-Timeout` is kept
 * and enforced: a request still queued after it fails with a 504 `request_timeout`. Prompt words choose
 * the outcome: "forbidden" (422 content_policy_violation), "nsfw" (flagged output), "runner" (503
 * runner_disconnected), "stuck" (never leaves the queue), "hold" (never finishes running). Image
 * inputs and the storage API are fal-inputs.ts.
 */
import { randomUUID } from 'node:crypto';
import { fakePng, startFakeHttpServer, type FakeHttpServer } from './fake-http.js';
import { falInputRefusal, falStorage, type FalStoredFile } from './fal-inputs.js';

interface FakeFalRequest {
  id: string;
  app: string;
  prompt: string;
  /** The input's seed, answered back as the one used. */
  seed: number | undefined;
  ahead: number;
  state: 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';
  runs: number;
  canceled: boolean;
  /** ms since epoch by which a runner must have started, from X-Fal-Request-Timeout. */
  startBy: number | null;
  timedOut: boolean;
}

export interface FakeFal extends FakeHttpServer {
  readonly submits: number;
  readonly canceled: string[];
  /** The X-Fal-Request-Timeout header of each submit (undefined when absent). */
  readonly requestTimeouts: (string | undefined)[];
  expireFiles(): void;
  /** Each submit's model id (the path after the host) and input, in order. */
  readonly inputs: { model: string; input: Record<string, unknown> }[];
  /** Files stored through the storage API (bytes once PUT). */
  readonly stored: FalStoredFile[];
}

export async function startFakeFal(options: { apiKey: string; queueAhead?: number }): Promise<FakeFal> {
  const queueAhead = options.queueAhead ?? 2;
  const requests = new Map<string, FakeFalRequest>();
  const canceled: string[] = [];
  const requestTimeouts: (string | undefined)[] = [];
  let submits = 0;
  const inputs: { model: string; input: Record<string, unknown> }[] = [];
  const stored: FalStoredFile[] = [];
  const storedAt = (url: string) =>
    stored.find((file) => file.bytes !== null && url === `${server.url}/files/stored/${file.id}`);
  let filesExpired = false;

  const advance = (request: FakeFalRequest) => {
    if (request.state === 'IN_QUEUE' && request.startBy !== null && Date.now() > request.startBy) {
      Object.assign(request, { state: 'COMPLETED', timedOut: true });
    } else if (request.state === 'IN_QUEUE' && !request.prompt.includes('stuck')) {
      if (request.ahead > 0) request.ahead--;
      else request.state = 'IN_PROGRESS';
    } else if (request.state === 'IN_PROGRESS' && !request.prompt.includes('hold')) {
      if (++request.runs >= 1) request.state = 'COMPLETED';
    }
  };

  const server = await startFakeHttpServer(async (incoming, url) => {
    const path = url.pathname;
    if (incoming.method === 'GET' && path.startsWith('/files/')) {
      return filesExpired
        ? { status: 404, body: 'gone' }
        : { status: 200, headers: { 'content-type': 'image/png' }, body: await fakePng(40, 40) };
    }
    // Before the key check: the upload URL is pre-signed and takes no key (the initiate call checks it).
    const storage = falStorage(incoming, url, server.url, stored, options.apiKey);
    if (storage) return storage;
    if (incoming.headers.authorization !== `Key ${options.apiKey}`)
      return { status: 401, json: { detail: 'Cannot access application. Authentication is required.' } };
    const match = /^\/([^/]+\/[^/]+)\/requests\/([^/]+)(\/status|\/cancel)?$/.exec(path);
    if (!match) {
      if (incoming.method !== 'POST') return { status: 405, json: { detail: 'Method not allowed' } };
      const input = JSON.parse(incoming.body.toString('utf8')) as { prompt?: string };
      const refusal = falInputRefusal(path.slice(1), input, storedAt);
      if (refusal) return refusal;
      inputs.push({ model: path.slice(1), input });
      if (!input.prompt)
        return { status: 422, json: { detail: [{ loc: ['body', 'prompt'], msg: 'field required', type: 'missing' }] } };
      // fal's FLUX schemas: a boolean checker switch, and on pro models a tolerance "1".."6" (a string enum).
      const { enable_safety_checker: checker, safety_tolerance: tolerance } = input as Record<string, unknown>;
      if (checker !== undefined && typeof checker !== 'boolean')
        return {
          status: 422,
          json: {
            detail: [
              { loc: ['body', 'enable_safety_checker'], msg: 'Input should be a valid boolean', type: 'bool_type' },
            ],
          },
        };
      if (tolerance !== undefined && !['1', '2', '3', '4', '5', '6'].includes(tolerance as string))
        return {
          status: 422,
          json: {
            detail: [
              {
                loc: ['body', 'safety_tolerance'],
                msg: "Input should be '1', '2', '3', '4', '5' or '6'",
                type: 'enum',
              },
            ],
          },
        };
      const timeout = incoming.headers['x-fal-request-timeout'] as string | undefined;
      requestTimeouts.push(timeout);
      submits++;
      const id = randomUUID();
      const app = path.slice(1).split('/').slice(0, 2).join('/');
      requests.set(id, {
        id,
        app,
        prompt: input.prompt,
        seed: typeof (input as { seed?: unknown }).seed === 'number' ? (input as { seed: number }).seed : undefined,
        ahead: queueAhead,
        state: 'IN_QUEUE',
        runs: 0,
        canceled: false,
        startBy: timeout ? Date.now() + Number(timeout) * 1000 : null,
        timedOut: false,
      });
      const base = `${server.url}/${app}/requests/${id}`;
      return {
        status: 200,
        json: {
          request_id: id,
          status: 'IN_QUEUE',
          queue_position: queueAhead,
          status_url: `${base}/status`,
          response_url: base,
          cancel_url: `${base}/cancel`,
        },
      };
    }
    const [, app, id, action] = match;
    const request = requests.get(id!);
    if (!request || request.app !== app) return { status: 404, json: { detail: 'Request not found' } };
    if (action === '/cancel' && incoming.method === 'PUT') {
      canceled.push(request.id);
      if (request.state === 'COMPLETED') return { status: 400, json: { status: 'ALREADY_COMPLETED' } };
      Object.assign(request, { canceled: true, state: 'COMPLETED' });
      return { status: 202, json: { status: 'CANCELLATION_REQUESTED' } };
    }
    if (action === '/status' && incoming.method === 'GET') {
      advance(request);
      const body = {
        status: request.state,
        ...(request.state === 'IN_QUEUE' ? { queue_position: request.ahead } : {}),
        response_url: `${server.url}/${app}/requests/${id}`,
      };
      return { status: request.state === 'COMPLETED' ? 200 : 202, json: body };
    }
    if (!action && incoming.method === 'GET') {
      if (request.state !== 'COMPLETED') return { status: 400, json: { detail: 'Request is still in progress' } };
      const failed = (status: number, errorType: string, detail: string, extra: Record<string, string> = {}) => ({
        status,
        headers: { 'x-fal-error-type': errorType, ...extra },
        json: { detail, error_type: errorType },
      });
      if (request.timedOut)
        return failed(504, 'request_timeout', 'Request timed out', { 'x-fal-request-timeout-type': 'user' });
      if (request.canceled) return failed(499, 'client_cancelled', 'Request was cancelled');
      if (request.prompt.includes('runner'))
        return failed(503, 'runner_disconnected', 'Runner disconnected unexpectedly', { 'x-fal-retryable': 'true' });
      if (request.prompt.includes('forbidden')) {
        return {
          status: 422,
          json: {
            detail: [
              {
                loc: ['body', 'prompt'],
                msg: 'The content could not be processed because it contained material flagged by a content checker.',
                type: 'content_policy_violation',
                url: 'https://docs.fal.ai/errors#content_policy_violation',
              },
            ],
          },
        };
      }
      const flagged = request.prompt.includes('nsfw');
      return {
        status: 200,
        json: {
          images: [{ url: `${server.url}/files/${id}.png`, width: 40, height: 40, content_type: 'image/png' }],
          // fal answers the seed it used: the input's, else one it drew.
          seed: request.seed ?? 4242,
          has_nsfw_concepts: [flagged],
          prompt: request.prompt,
        },
      };
    }
    return { status: 405, json: { detail: 'Method not allowed' } };
  });
  return {
    ...server,
    get submits() {
      return submits;
    },
    canceled,
    requestTimeouts,
    inputs,
    stored,
    expireFiles() {
      filesExpired = true;
    },
  };
}
