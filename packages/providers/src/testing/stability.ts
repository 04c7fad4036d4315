/**
 * A fake Stability v2beta: `POST /v2beta/stable-image/generate/{ultra,core,sd3}` reads multipart form
 * data and answers the image (`Accept: image/*`, with `finish-reason` and `seed` headers) or JSON
 * (`Accept: application/json`). With `asyncResults` (or a prompt containing "async") it answers `{id}`
 * and `GET /v2beta/results/{id}` answers 202 in-progress for `pollsToFinish` polls, then 200; results
 * answer 404 after `expireResults()` (Stability keeps them 24 hours). Prompt words: "forbidden" (403
 * content_moderation), "filtered" (finish_reason CONTENT_FILTERED). A `model` is taken by sd3 only, and
 * only an sd3 family name (sd3.5-large, ...). Edit, control, image-to-image
 * and upscale calls are checked field by field in stability-edits.ts.
 */
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { fakePng, startFakeHttpServer, type FakeHttpServer, type FakeReply } from './fake-http.js';
import {
  isStabilityEditPath,
  parseStabilityForm,
  stabilityAnswerSize,
  stabilityRefusal,
  type StabilityCall,
} from './stability-edits.js';

export interface FakeStability extends FakeHttpServer {
  readonly generations: number;
  /** The form fields of the last generate call. */
  readonly lastForm: Record<string, string>;
  /** Every valid call with image inputs (edit, control, image-to-image, upscale), part by part. */
  readonly edits: StabilityCall[];
  expireResults(): void;
}

export async function startFakeStability(options: { apiKey: string; pollsToFinish?: number }): Promise<FakeStability> {
  const pollsToFinish = options.pollsToFinish ?? 2;
  const pending = new Map<string, { polls: number; accept: string; prompt: string }>();
  let generations = 0;
  let lastForm: Record<string, string> = {};
  const edits: StabilityCall[] = [];
  let expired = false;
  const error = (status: number, name: string, message: string): FakeReply => ({
    status,
    json: { id: randomBytes(16).toString('hex'), name, errors: [message] },
  });

  async function result(prompt: string, accept: string, seed: number): Promise<FakeReply> {
    const filtered = prompt.includes('filtered');
    const png = await fakePng(56, 40);
    const finish = filtered ? 'CONTENT_FILTERED' : 'SUCCESS';
    if (accept.includes('application/json'))
      return { status: 200, json: { image: png.toString('base64'), finish_reason: finish, seed } };
    return {
      status: 200,
      headers: { 'content-type': 'image/png', 'finish-reason': finish, seed: String(seed) },
      body: png,
    };
  }

  const server = await startFakeHttpServer(async (incoming, url) => {
    if (incoming.headers.authorization !== `Bearer ${options.apiKey}`)
      return error(401, 'unauthorized', 'authorization: invalid or missing header value');
    const accept = String(incoming.headers.accept ?? 'image/*');
    const path = url.pathname.replace(/^\/v2beta\/stable-image\//, '');
    const multipart = String(incoming.headers['content-type']).startsWith('multipart/form-data');
    if (incoming.method === 'POST' && multipart && (isStabilityEditPath(path) || path === 'generate/sd3')) {
      const call = await parseStabilityForm(incoming, path);
      // sd3 without mode=image-to-image is a text-to-image generation, answered below.
      if (path !== 'generate/sd3' || call.fields.mode === 'image-to-image') {
        const refusal = stabilityRefusal(call);
        if (refusal) return error(400, 'bad_request', refusal);
        edits.push(call);
        generations++;
        const { width, height } = await stabilityAnswerSize(call);
        const format = (call.fields.output_format ?? 'png') as 'png' | 'jpeg' | 'webp';
        const image = await sharp(await fakePng(width, height))
          .toFormat(format)
          .toBuffer();
        if (accept.includes('application/json'))
          return { status: 200, json: { image: image.toString('base64'), finish_reason: 'SUCCESS', seed: 42 } };
        return {
          status: 200,
          headers: { 'content-type': `image/${format}`, 'finish-reason': 'SUCCESS', seed: '42' },
          body: image,
        };
      }
    }
    const generate = /^\/v2beta\/stable-image\/generate\/(ultra|core|sd3)$/.exec(url.pathname);
    if (incoming.method === 'POST' && generate) {
      if (!String(incoming.headers['content-type']).startsWith('multipart/form-data'))
        return error(400, 'bad_request', 'content-type: must be multipart/form-data');
      const form = await new Request('http://fake/', {
        method: 'POST',
        headers: { 'content-type': String(incoming.headers['content-type']) },
        body: incoming.body,
      }).formData();
      lastForm = Object.fromEntries([...form.entries()].map(([key, value]) => [key, String(value)]));
      const prompt = lastForm.prompt ?? '';
      if (!prompt) return error(400, 'bad_request', 'prompt: cannot be empty');
      // Only sd3 has a `model` field, and it takes the sd3 family's names.
      if (lastForm.model !== undefined && (generate[1] !== 'sd3' || !/^sd3(\.5)?-[a-z-]+$/.test(lastForm.model)))
        return error(400, 'bad_request', `model: '${lastForm.model}' is not a model of generate/${generate[1]}`);
      if (prompt.includes('forbidden'))
        return error(
          403,
          'content_moderation',
          'Your request was flagged by our content moderation system, as a result your request was denied and you were not charged.',
        );
      generations++;
      const seed = Number(lastForm.seed ?? 0) || 1234;
      if (prompt.includes('async')) {
        const id = randomBytes(32).toString('hex');
        pending.set(id, { polls: 0, accept, prompt });
        return { status: 200, json: { id } };
      }
      return result(prompt, accept, seed);
    }
    const results = /^\/v2beta\/results\/([^/]+)$/.exec(url.pathname);
    if (incoming.method === 'GET' && results) {
      const entry = pending.get(results[1]!);
      if (!entry || expired) return error(404, 'not_found', `generation ${results[1]} not found or expired`);
      if (++entry.polls < pollsToFinish) return { status: 202, json: { id: results[1], status: 'in-progress' } };
      return result(entry.prompt, accept, 99);
    }
    return error(404, 'not_found', `${incoming.method} ${url.pathname}`);
  });
  return {
    ...server,
    get generations() {
      return generations;
    },
    get lastForm() {
      return lastForm;
    },
    edits,
    expireResults() {
      expired = true;
    },
  };
}
