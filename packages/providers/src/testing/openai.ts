/**
 * A fake OpenAI Images API: `POST /v1/images/generations` checks the bearer key and the body as the
 * real one does, answers base64 (gpt-image) or a URL valid until `expireUrls()` (dall-e with
 * response_format=url), refuses a model openai-node does not list (`invalid_value`, param `model`) and
 * prompts containing "forbidden" with `moderation_blocked`, and sends `x-request-id` on every answer.
 * `POST /v1/images/edits` is openai-edits.ts. `stream: true` (gpt-image models) answers Server-Sent Events
 * (openai-stream.ts); a prompt containing "fails midway" ends such a stream with an `error` event after its
 * partial images.
 */
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { fakePng, startFakeHttpServer, type FakeHttpServer } from './fake-http.js';
import { editAnswer, parseEdit, type ReceivedEdit } from './openai-edits.js';
import { streamedAnswer, streamRefusal } from './openai-stream.js';

/** The Images models openai-node's types list (../shared/ENGINES.md §3); others are refused. */
export const OPENAI_IMAGE_MODELS = [
  'gpt-image-1',
  'gpt-image-1-mini',
  'gpt-image-1.5',
  'gpt-image-2',
  'gpt-image-2-2026-04-21',
  'chatgpt-image-latest',
  'dall-e-2',
  'dall-e-3',
];

export interface FakeOpenAI extends FakeHttpServer {
  /** Base URL to configure the adapter with (`.../v1`). */
  readonly baseUrl: string;
  /** Generations billed (successful creates and edits). */
  readonly generations: number;
  /** Every valid `POST /v1/images/edits`, parsed part by part. */
  readonly edits: ReceivedEdit[];
  /** URL outputs answer 404 from now on, as after OpenAI's 60 minutes. */
  expireUrls(): void;
}

export async function startFakeOpenAI(options: { apiKey: string }): Promise<FakeOpenAI> {
  let generations = 0;
  let urlsExpired = false;
  const files = new Map<string, Buffer>();
  const edits: ReceivedEdit[] = [];
  const server = await startFakeHttpServer(async (request, url) => {
    const headers = { 'x-request-id': `req_${randomUUID().replace(/-/g, '')}` };
    if (request.method === 'GET' && url.pathname.startsWith('/files/')) {
      const file = files.get(url.pathname.slice('/files/'.length));
      return file && !urlsExpired
        ? { status: 200, headers: { 'content-type': 'image/png' }, body: file }
        : { status: 404, body: 'expired' };
    }
    const authorized = request.headers.authorization === `Bearer ${options.apiKey}`;
    if (request.method === 'POST' && url.pathname === '/v1/images/edits' && authorized) {
      const edit = await parseEdit(request);
      if (!('names' in edit)) return { ...edit, headers };
      const answer = await editAnswer(edit);
      if (!('status' in answer) || answer.status !== 200) return { ...answer, headers };
      edits.push(edit);
      generations++;
      return { ...answer, headers: { ...answer.headers, ...headers } };
    }
    if (request.method !== 'POST' || !['/v1/images/generations', '/v1/images/edits'].includes(url.pathname)) {
      return {
        status: 404,
        headers,
        json: {
          error: {
            message: `Invalid URL (${request.method} ${url.pathname})`,
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        },
      };
    }
    if (request.headers.authorization !== `Bearer ${options.apiKey}`) {
      // The real API masks most of the key; the fake echoes it whole to prove Darkroom redacts it.
      return {
        status: 401,
        headers,
        json: {
          error: {
            message: `Incorrect API key provided: ${request.headers.authorization?.slice(7)}.`,
            type: 'invalid_request_error',
            param: null,
            code: 'invalid_api_key',
          },
        },
      };
    }
    const body = JSON.parse(request.body.toString('utf8')) as {
      model?: string;
      prompt?: string;
      size?: string;
      response_format?: string;
      n?: number;
      stream?: boolean;
      partial_images?: number;
    };
    if (!body.model || !body.prompt) {
      return {
        status: 400,
        headers,
        json: {
          error: {
            message: "Missing required parameter: 'prompt'.",
            type: 'invalid_request_error',
            param: 'prompt',
            code: 'missing_required_parameter',
          },
        },
      };
    }
    if (!OPENAI_IMAGE_MODELS.includes(body.model)) {
      return {
        status: 400,
        headers,
        json: {
          error: {
            message: `Invalid value: '${body.model}'. Supported values are: ${OPENAI_IMAGE_MODELS.map((m) => `'${m}'`).join(', ')}.`,
            type: 'invalid_request_error',
            param: 'model',
            code: 'invalid_value',
          },
        },
      };
    }
    if (body.model.startsWith('gpt-image') && body.response_format) {
      return {
        status: 400,
        headers,
        json: {
          error: {
            message: "Unknown parameter: 'response_format'.",
            type: 'invalid_request_error',
            param: 'response_format',
            code: 'unknown_parameter',
          },
        },
      };
    }
    const moderation = (body as { moderation?: unknown }).moderation;
    if (moderation !== undefined && moderation !== 'auto' && moderation !== 'low') {
      return {
        status: 400,
        headers,
        json: {
          error: {
            message: `Invalid value: '${String(moderation)}'. Supported values are: 'low' and 'auto'.`,
            type: 'invalid_request_error',
            param: 'moderation',
            code: 'invalid_value',
          },
        },
      };
    }
    if (body.prompt.includes('forbidden')) {
      return {
        status: 400,
        headers,
        json: {
          error: {
            message: 'Your request was rejected by the safety system.',
            type: 'image_generation_user_error',
            param: null,
            code: 'moderation_blocked',
          },
        },
      };
    }
    if (body.stream && !body.model.startsWith('gpt-image'))
      return {
        status: 400,
        headers,
        json: {
          error: {
            message: `Streaming is not supported for model '${body.model}'.`,
            type: 'invalid_request_error',
            param: 'stream',
            code: 'unsupported_value',
          },
        },
      };
    const refusal = body.stream ? streamRefusal(body.partial_images) : undefined;
    if (refusal && 'status' in refusal) return { ...refusal, headers };
    const [width, height] = (body.size ?? '1024x1024').split('x').map(Number) as [number, number];
    const png = await fakePng(width / 16, height / 16);
    // gpt-image models answer in the output_format asked for.
    const format = (body as { output_format?: 'png' | 'jpeg' | 'webp' }).output_format ?? 'png';
    const image = format === 'png' ? png : await sharp(png).toFormat(format).toBuffer();
    generations++;
    if (body.stream)
      return {
        ...(await streamedAnswer({
          prefix: 'image_generation',
          partials: body.partial_images ?? 0,
          image,
          format,
          size: body.size ?? '1024x1024',
          ...(body.prompt.includes('fails midway')
            ? { failWith: { message: 'The server had an error while processing your request.', code: 'server_error' } }
            : {}),
        })),
        headers: { ...headers, 'content-type': 'text/event-stream; charset=utf-8' },
      };
    if (body.response_format === 'url') {
      const name = `${randomUUID()}.png`;
      files.set(name, png);
      return {
        status: 200,
        headers,
        json: {
          created: Math.floor(Date.now() / 1000),
          data: [{ url: `${server.url}/files/${name}`, revised_prompt: body.prompt }],
        },
      };
    }
    return {
      status: 200,
      headers,
      json: {
        created: Math.floor(Date.now() / 1000),
        data: [{ b64_json: image.toString('base64') }],
        output_format: format,
      },
    };
  });
  return {
    ...server,
    baseUrl: `${server.url}/v1`,
    get generations() {
      return generations;
    },
    edits,
    expireUrls() {
      urlsExpired = true;
    },
  };
}
