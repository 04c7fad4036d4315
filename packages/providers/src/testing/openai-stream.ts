/**
 * The fake OpenAI's streamed answers (`stream: true` on generations and edits), as openai-node's
 * `Stream` reads them (`core/streaming.ts`) and its image stream types describe them: `partial_images`
 * events `<prefix>.partial_image` (each a real, different PNG, `partial_image_index` from 0), then one
 * `<prefix>.completed` with the image and `usage`, as `event:` and `data:` lines, each event ended by a
 * blank line and written as it is made. `partial_images` outside 0..3 is refused as the API does.
 */
import sharp from 'sharp';
import type { FakeReply } from './fake-http.js';
import { fakePreviewImage } from './preview-images.js';

export type StreamPrefix = 'image_generation' | 'image_edit';

/** A refusal of the stream fields, or undefined when they are valid. */
export function streamRefusal(partialImages: unknown): FakeReply | undefined {
  const n = partialImages === undefined ? 0 : Number(partialImages);
  if (Number.isInteger(n) && n >= 0 && n <= 3) return undefined;
  const message =
    n > 3
      ? `Invalid 'partial_images': integer above maximum value. Expected a value <= 3, but got ${String(partialImages)} instead.`
      : `Invalid 'partial_images': expected an integer from 0 to 3, but got ${String(partialImages)} instead.`;
  return {
    status: 400,
    json: {
      error: {
        message,
        type: 'invalid_request_error',
        param: 'partial_images',
        code: n > 3 ? 'integer_above_max_value' : 'invalid_value',
      },
    },
  };
}

const sse = (event: Record<string, unknown> & { type: string }) =>
  `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

/** The event stream for one image: `partials` partial images, then the completed `image`. */
export async function streamedAnswer(options: {
  prefix: StreamPrefix;
  partials: number;
  image: Buffer;
  format: 'png' | 'jpeg' | 'webp';
  size: string;
  quality?: string;
  background?: string;
  gapMs?: number;
  /** Ends the stream with an `error` event after the partials instead of the image. */
  failWith?: { message: string; code: string };
}): Promise<FakeReply> {
  const common = {
    created_at: Math.floor(Date.now() / 1000),
    size: options.size,
    quality: options.quality ?? 'auto',
    background: options.background ?? 'auto',
    output_format: options.format,
  };
  const chunks: string[] = [];
  for (let index = 0; index < options.partials; index++) {
    const partial = await fakePreviewImage(index + 1, options.partials + 1, 'png');
    const bytes = options.format === 'png' ? partial : await sharp(partial).toFormat(options.format).toBuffer();
    chunks.push(
      sse({
        type: `${options.prefix}.partial_image`,
        b64_json: bytes.toString('base64'),
        partial_image_index: index,
        ...common,
      }),
    );
  }
  if (options.failWith)
    chunks.push(
      sse({ type: 'error', error: { type: 'image_generation_server_error', param: null, ...options.failWith } }),
    );
  else
    chunks.push(
      sse({
        type: `${options.prefix}.completed`,
        b64_json: options.image.toString('base64'),
        ...common,
        usage: {
          input_tokens: 50,
          input_tokens_details: { image_tokens: 40, text_tokens: 10 },
          output_tokens: 4160,
          total_tokens: 4210,
        },
      }),
    );
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' },
    chunks,
    chunkGapMs: options.gapMs ?? 20,
  };
}
