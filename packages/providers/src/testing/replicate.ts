/**
 * A fake Replicate: predictions created by model, version or deployment start as `starting`, move to
 * `processing` and then a terminal status as they are polled (`pollsToFinish`), honour `Prefer: wait`,
 * can be canceled, and keep outputs at URLs that `expireOutputs()` turns into 404s (Replicate deletes
 * them an hour after completion). Prompt words choose the outcome, as a model's behaviour would:
 * "forbidden" fails with Replicate's NSFW message, "crash" fails, "abort" ends `aborted`, "hold" never
 * finishes.
 */
import { randomUUID } from 'node:crypto';
import { fakePng, startFakeHttpServer, type FakeHttpServer } from './fake-http.js';
import { modelInputRefusal, parseUpload, type UploadedFile } from './replicate-models.js';

interface FakePrediction {
  id: string;
  status: 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted';
  prompt: string;
  polls: number;
  output: string[] | null;
  error: string | null;
}

export interface FakeReplicate extends FakeHttpServer {
  /** Predictions created (what Replicate bills for). */
  readonly creates: number;
  /** Each create's model (`owner/name`, the version, or `deployment:owner/name`) and input, in order. */
  readonly inputs: { model: string; input: Record<string, unknown> }[];
  /** Files uploaded through `POST /v1/files`. */
  readonly files: UploadedFile[];
  /** Ids whose cancel endpoint was called. */
  readonly canceled: string[];
  expireOutputs(): void;
  /** Forgets every prediction, as after Replicate's retention window (GET answers 404). */
  forgetPredictions(): void;
  statusOf(id: string): string | undefined;
}

export async function startFakeReplicate(options: { apiKey: string; pollsToFinish?: number }): Promise<FakeReplicate> {
  const pollsToFinish = options.pollsToFinish ?? 2;
  const predictions = new Map<string, FakePrediction>();
  const canceled: string[] = [];
  const inputs: { model: string; input: Record<string, unknown> }[] = [];
  const files: UploadedFile[] = [];
  const fileAt = (url: string) => files.find((file) => url === `${server.url}/v1/files/${file.id}`);
  let creates = 0;
  let outputsExpired = false;
  const problem = (status: number, title: string, detail: string) => ({
    status,
    headers: { 'content-type': 'application/problem+json' },
    json: { title, detail, status },
  });

  const view = (prediction: FakePrediction) => ({
    id: prediction.id,
    model: 'owner/model',
    version: 'v1',
    input: { prompt: prediction.prompt },
    status: prediction.status,
    output: prediction.output,
    error: prediction.error,
    logs: '',
    urls: {
      get: `${server.url}/v1/predictions/${prediction.id}`,
      cancel: `${server.url}/v1/predictions/${prediction.id}/cancel`,
    },
    created_at: new Date().toISOString(),
  });

  const finish = (prediction: FakePrediction) => {
    if (prediction.prompt.includes('hold')) return;
    if (prediction.prompt.includes('forbidden')) {
      Object.assign(prediction, {
        status: 'failed',
        error: 'NSFW content detected. Try running it again, or try a different prompt.',
      });
    } else if (prediction.prompt.includes('crash')) {
      Object.assign(prediction, { status: 'failed', error: 'CUDA out of memory' });
    } else if (prediction.prompt.includes('abort')) {
      prediction.status = 'aborted';
    } else {
      Object.assign(prediction, { status: 'succeeded', output: [`${server.url}/output/${prediction.id}.png`] });
    }
  };

  const server = await startFakeHttpServer(async (request, url) => {
    const path = url.pathname;
    if (request.method === 'GET' && path.startsWith('/output/')) {
      const prediction = predictions.get(path.slice('/output/'.length).replace(/\.png$/, ''));
      if (!prediction || outputsExpired) return { status: 404, body: 'not found' };
      return { status: 200, headers: { 'content-type': 'image/png' }, body: await fakePng(48, 64) };
    }
    if (request.headers.authorization !== `Bearer ${options.apiKey}`)
      return problem(401, 'Unauthenticated', 'You did not pass a valid authentication token');
    if (request.method === 'POST' && path === '/v1/files') {
      const file = await parseUpload(request);
      if (typeof file === 'string') return problem(400, 'Invalid upload', file);
      files.push(file);
      const now = new Date();
      return {
        status: 201,
        json: {
          id: file.id,
          content_type: file.type,
          size: file.bytes.length,
          checksums: { sha256: 'not computed by the fake' },
          metadata: file.metadata,
          created_at: now.toISOString(),
          expires_at: new Date(now.getTime() + 86_400_000).toISOString(),
          urls: { get: `${server.url}/v1/files/${file.id}` },
        },
      };
    }
    const create = /^\/v1\/(?:models\/([^/]+\/[^/]+)\/|deployments\/([^/]+\/[^/]+)\/)?predictions$/.exec(path);
    if (request.method === 'POST' && create) {
      const body = JSON.parse(request.body.toString('utf8')) as { version?: string; input?: { prompt?: string } };
      if (path === '/v1/predictions' && !body.version) return problem(422, 'Invalid version', 'version is required');
      const model = create[1] ?? (create[2] ? `deployment:${create[2]}` : body.version!);
      const input = (body.input ?? {}) as Record<string, unknown>;
      const refusal = modelInputRefusal(model, input, fileAt);
      if (refusal) return problem(422, 'Input validation failed', `- ${refusal}`);
      inputs.push({ model, input });
      // Upscalers have no prompt; a model the fake has no schema for needs one.
      if (!body.input?.prompt && model !== 'nightmareai/real-esrgan')
        return problem(422, 'Input validation failed', 'input: prompt is required');
      // Replicate checks the input against the model's schema (FLUX: a boolean checker switch, or an
      // integer tolerance from 1, strictest, to 6).
      const { disable_safety_checker: checker, safety_tolerance: tolerance } = body.input as Record<string, unknown>;
      if (checker !== undefined && typeof checker !== 'boolean')
        return problem(
          422,
          'Input validation failed',
          '- input.disable_safety_checker: Invalid type. Expected: boolean',
        );
      if (
        tolerance !== undefined &&
        !(Number.isInteger(tolerance) && (tolerance as number) >= 1 && (tolerance as number) <= 6)
      )
        return problem(422, 'Input validation failed', '- input.safety_tolerance: Must be an integer from 1 to 6');
      creates++;
      const prediction: FakePrediction = {
        id: randomUUID().replace(/-/g, '').slice(0, 26),
        status: 'starting',
        prompt: body.input?.prompt ?? '',
        polls: 0,
        output: null,
        error: null,
      };
      predictions.set(prediction.id, prediction);
      if (/wait/.test(String(request.headers.prefer ?? ''))) finish(prediction);
      return { status: 201, json: view(prediction) };
    }
    const one = /^\/v1\/predictions\/([^/]+)(\/cancel)?$/.exec(path);
    const prediction = one ? predictions.get(one[1]!) : undefined;
    if (!one || !prediction) return problem(404, 'Not found', 'The requested resource could not be found.');
    if (request.method === 'POST' && one[2]) {
      canceled.push(prediction.id);
      if (prediction.status === 'starting' || prediction.status === 'processing') prediction.status = 'canceled';
      return { status: 200, json: view(prediction) };
    }
    if (request.method === 'GET' && !one[2]) {
      prediction.polls++;
      if (prediction.status === 'starting') prediction.status = 'processing';
      if (prediction.status === 'processing' && prediction.polls >= pollsToFinish) finish(prediction);
      return { status: 200, json: view(prediction) };
    }
    return problem(405, 'Method not allowed', `${request.method} ${path}`);
  });
  return {
    ...server,
    get creates() {
      return creates;
    },
    inputs,
    files,
    canceled,
    expireOutputs() {
      outputsExpired = true;
    },
    forgetPredictions() {
      predictions.clear();
    },
    statusOf: (id) => predictions.get(id)?.status,
  };
}
