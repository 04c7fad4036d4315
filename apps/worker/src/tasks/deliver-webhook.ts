/**
 * `deliver_webhook`: POSTs a finished job's view to its webhook URL, signed the Standard Webhooks way,
 * and records every attempt. A failed attempt (no answer in time, a redirect, a non-2xx answer) throws,
 * so graphile-worker runs the task again after its backoff (e^attempt seconds); after
 * WEBHOOK_MAX_ATTEMPTS the delivery is recorded as given up. The job itself is never touched.
 */
import { createHmac } from 'node:crypto';
import { WEBHOOK_EVENTS, type WebhookPayload } from '@darkroom/core';
import { OutboundTimeout, type OutboundGuard } from '@darkroom/core/outbound';
import { jobViewInclude, queuePlaceOf, toJobView, type Db } from '@darkroom/db';
import type { Task } from 'graphile-worker';
import type { Logger } from 'pino';
import { z } from 'zod';

const Payload = z
  .object({
    jobId: z.string().uuid(),
    event: z.enum(WEBHOOK_EVENTS),
    messageId: z.string().min(1).max(100),
    // The timeline event's data, for the events a job_events trigger queues (darkroom_job_event_webhook).
    eventData: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .strict();

export interface WebhookTaskOptions {
  db: Db;
  log: Logger;
  maxAttempts: number;
  timeoutMs: number;
  /** Resolves, classifies and connects (see @darkroom/core/outbound); the API checked at submit too. */
  outbound: OutboundGuard;
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the secret's bytes (the part after `whsec_`, base64). */
export function signWebhook(secret: string, messageId: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${messageId}.${timestamp}.${body}`).digest('base64')}`;
}

export function makeDeliverWebhookTask({ db, log, maxAttempts, timeoutMs, outbound }: WebhookTaskOptions): Task {
  return async (payload, helpers) => {
    const parsed = Payload.safeParse(payload);
    if (!parsed.success) {
      // Retrying cannot fix a payload; say so and drop it.
      log.error({ payload, issues: parsed.error.issues }, 'deliver_webhook: malformed payload, dropped');
      return;
    }
    const { jobId, event, messageId, eventData } = parsed.data;
    const job = await db.job.findUnique({
      where: { id: jobId },
      include: { ...jobViewInclude, user: { select: { webhookSecret: true } } },
    });
    if (!job?.webhookUrl || !job.user.webhookSecret) return;
    const url = job.webhookUrl;
    const attempt = helpers.job.attempts;
    const message: WebhookPayload = {
      type: event,
      timestamp: new Date().toISOString(),
      data: toJobView(job, await queuePlaceOf(db, job)),
      ...(eventData ? { event: eventData } : {}),
    };
    const body = JSON.stringify(message);
    const timestamp = Math.floor(Date.now() / 1000);
    const startedAt = new Date();

    let statusCode: number | null = null;
    let error: string | null = null;
    // Checked again at delivery: the name may resolve elsewhere now than at submit. The request then
    // goes to the very address that was checked.
    const target = await outbound.check(url, 'webhookUrl');
    if (target.problem !== undefined) {
      error = target.problem;
    } else {
      try {
        statusCode = await outbound.post(url, target.address, {
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Darkroom-Webhooks/1',
            'webhook-id': messageId,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signWebhook(job.user.webhookSecret, messageId, timestamp, body),
          },
          body,
          timeoutMs,
        });
        // A redirect is a failure: following it could lead anywhere, including inside our network.
        if (statusCode < 200 || statusCode >= 300) {
          error =
            statusCode >= 300 && statusCode < 400
              ? `redirected (HTTP ${statusCode}); webhooks do not follow redirects`
              : `the receiver answered HTTP ${statusCode}`;
        }
      } catch (cause) {
        error =
          cause instanceof OutboundTimeout
            ? `no answer within ${timeoutMs} ms`
            : `could not connect: ${(cause as Error).message}`;
      }
    }
    const succeeded = error === null;
    // A refused target is refused again on a retry: give up at once.
    const willRetry = !succeeded && target.problem === undefined && attempt < maxAttempts;
    await db.webhookDelivery.create({
      data: {
        jobId,
        messageId,
        event,
        url,
        attempt,
        statusCode,
        error,
        succeeded,
        willRetry,
        startedAt,
        finishedAt: new Date(),
      },
    });
    if (willRetry)
      throw new Error(`webhook ${messageId} for job ${jobId}, attempt ${attempt} of ${maxAttempts}: ${error}`);
    if (!succeeded) log.warn({ jobId, messageId, attempt, error }, 'webhook given up');
  };
}
