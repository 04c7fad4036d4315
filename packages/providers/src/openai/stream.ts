/**
 * OpenAI's streamed image answers (`stream: true` with `partial_images`, gpt-image models), read as
 * openai-node's `Stream` reads them: Server-Sent Events whose `data` is JSON with a `type`
 * (`image_generation.partial_image` / `image_edit.partial_image`, then `image_generation.completed` /
 * `image_edit.completed`); an `error` event, or any data with an `error` key, is a failure. Partial
 * images are handed on as they arrive, while the body still streams.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { z } from 'zod';
import { bytesOfBase64, previewOf } from '../engines/preview.js';
import type { GenerateRequest } from '../provider.js';

/** How many partial images a streamed request asks for, at most (OpenAI allows 0..3). */
export const MAX_PARTIAL_IMAGES = 3;

const StreamEvent = z.object({
  type: z.string().optional(),
  b64_json: z.string().optional(),
  partial_image_index: z.number().int().min(0).optional(),
  error: z
    .object({
      message: z.string().optional(),
      type: z.string().nullish(),
      code: z.string().nullish(),
      param: z.string().nullish(),
    })
    .optional(),
});

export interface StreamOutcome {
  /** The completed image's base64, when the stream carried one. */
  completed?: string;
  /** The error the stream ended with. */
  error?: { message: string; type?: string | null | undefined; code?: string | null | undefined };
}

/** Reads an event stream fed chunk by chunk; `outcome()` says how it ended once the body is complete. */
export function makeImageStreamReader(options: {
  prefix: 'image_generation' | 'image_edit';
  partialImages: number;
  request: GenerateRequest;
}) {
  const outcome: StreamOutcome = {};
  const onEvent = (message: EventSourceMessage) => {
    if (message.data.startsWith('[DONE]') || outcome.error) return;
    let json: unknown;
    try {
      json = JSON.parse(message.data);
    } catch {
      return;
    }
    const parsed = StreamEvent.safeParse(json);
    if (!parsed.success) return;
    const event = parsed.data;
    if (message.event === 'error' || event.type === 'error' || event.error) {
      outcome.error = { message: event.error?.message ?? 'the stream ended with an error', ...event.error };
      return;
    }
    if (event.type === `${options.prefix}.partial_image` && event.b64_json) {
      const bytes = bytesOfBase64(event.b64_json);
      const index = event.partial_image_index ?? 0;
      // Partial image i of n shows step i+1 of n+1: the completed image is the last step.
      const preview = bytes ? previewOf(bytes, { value: index + 1, max: options.partialImages + 1 }) : undefined;
      if (preview) options.request.onPreview?.(preview);
    }
    // With n = 1 there is one completed event; the first is the image either way.
    if (event.type === `${options.prefix}.completed` && event.b64_json && outcome.completed === undefined)
      outcome.completed = event.b64_json;
  };
  const parser = createParser({ onEvent });
  const decoder = new TextDecoder();
  return {
    feed(chunk: Buffer) {
      parser.feed(decoder.decode(chunk, { stream: true }));
    },
    outcome(): StreamOutcome {
      parser.feed(decoder.decode());
      return outcome;
    },
  };
}
