/**
 * `stream: true` on POST /v1/images/generations and /v1/images/edits: Server-Sent Events named and shaped
 * as OpenAI's, so the official SDKs' stream iterators work unchanged. Up to `partial_images` previews per
 * image as it develops (`image_generation.partial_image` / `image_edit.partial_image`, from the engine's
 * previews), then each image as it is stored (`image_generation.completed` / `image_edit.completed`). Everything that can refuse the request (credentials, limits,
 * the submit's checks) does so before the stream opens, as an ordinary OpenAI error.
 */
import { isTerminalStatus, type JobView } from '@darkroom/core';
import type { JobInputsInput } from '@darkroom/core';
import type { FastifyReply } from 'fastify';
import sharp from 'sharp';
import type { AuthUser, Services } from '../context.js';
import { viewsUntilEnd } from '../jobs/live.js';
import { cancelJob } from '../jobs/traced.js';
import { submitOpenAiJob } from './service.js';
import type { OpenAiErrorBody, OpenAiImageRequest, OpenAiStreamEvent } from './wire.js';

export async function streamOpenAiImages({
  services,
  user,
  input,
  idempotencyKey,
  waitSeconds,
  reply,
  gone,
  inputs,
  events = 'image_generation',
}: {
  services: Services;
  user: AuthUser;
  input: OpenAiImageRequest;
  idempotencyKey: string | undefined;
  waitSeconds: number;
  reply: FastifyReply;
  /** Aborts when the caller disconnects (or the server stops): the stream ends, the job goes on. */
  gone: AbortSignal;
  /** An edit's images, stored as the caller's assets. */
  inputs?: JobInputsInput;
  /** The events' name prefix: OpenAI names an edit's `image_edit.*`. Default `image_generation`. */
  events?: 'image_generation' | 'image_edit';
}): Promise<void> {
  const { db, storage, jobChanges } = services;
  const release = services.streams.acquire(user.id);
  try {
    const submitted = await submitOpenAiJob(services, {
      user,
      input,
      idempotencyKey,
      ...(inputs ? { inputs } : {}),
    });
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    const send = (event: OpenAiStreamEvent | { type: 'error'; error: OpenAiErrorBody['error'] }) => {
      if (!response.writableEnded) response.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    const common = (view: JobView) => ({
      created_at: Math.floor(Date.parse(view.createdAt) / 1000),
      size: `${view.width}x${view.height}`,
      quality: input.quality,
      background: input.background ?? 'auto',
      output_format: 'png' as const,
    });
    try {
      const timeout = AbortSignal.timeout(waitSeconds * 1000);
      const partialsSent = new Map<number, Set<string>>();
      const completed = new Set<number>();
      let last = submitted;
      for await (const view of viewsUntilEnd({
        db,
        jobChanges,
        user,
        id: submitted.id,
        signal: AbortSignal.any([timeout, gone]),
      })) {
        last = view;
        for (const image of view.images) {
          if (image.status === 'succeeded' && !completed.has(image.index)) {
            completed.add(image.index);
            const row = await db.image.findUnique({ where: { id: image.id }, select: { storageKey: true } });
            const stored = row?.storageKey ? await storage.get(row.storageKey) : null;
            if (!stored) continue;
            send({
              type: `${events}.completed`,
              b64_json: stored.body.toString('base64'),
              ...common(view),
              usage: {
                input_tokens: 0,
                input_tokens_details: { image_tokens: 0, text_tokens: 0 },
                output_tokens: 0,
                total_tokens: 0,
              },
            });
            continue;
          }
          const sent = partialsSent.get(image.index) ?? new Set<string>();
          partialsSent.set(image.index, sent);
          if (image.status !== 'running' || !image.preview || sent.has(image.preview.url)) continue;
          if (sent.size >= input.partial_images) continue;
          const preview = await db.imagePreview.findUnique({ where: { imageId: image.id }, select: { bytes: true } });
          if (!preview) continue;
          sent.add(image.preview.url);
          send({
            type: `${events}.partial_image`,
            // The format the request names; previews are kept as webp.
            b64_json: (await sharp(Buffer.from(preview.bytes)).png().toBuffer()).toString('base64'),
            partial_image_index: sent.size - 1,
            ...common(view),
          });
        }
      }
      if (gone.aborted) return;
      if (!isTerminalStatus(last.status)) {
        // As the waiting endpoint does: the job is canceled (refunded), so a retry cannot pay twice.
        await cancelJob({ db, user, id: last.id }).catch(() => undefined);
        send({
          type: 'error',
          error: {
            message: `job ${last.id} did not finish within ${waitSeconds} s and was canceled`,
            type: 'server_error',
            param: null,
            code: 'timeout',
          },
        });
      } else if (completed.size === 0) {
        const code = last.error?.code ?? last.status;
        send({
          type: 'error',
          error: {
            message: last.error?.message ?? `job ${last.id} ended ${last.status} without images`,
            type: code === 'content_filtered' ? 'invalid_request_error' : 'server_error',
            param: code === 'content_filtered' ? 'prompt' : null,
            code: code === 'content_filtered' ? 'content_policy_violation' : code,
          },
        });
      }
    } finally {
      response.end();
    }
  } finally {
    release();
  }
}
