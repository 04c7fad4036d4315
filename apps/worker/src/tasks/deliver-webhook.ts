/**
 * `deliver_webhook`: POSTs a finished job's view to its webhook URL, signed the Standard Webhooks way,
 * and records every attempt. A failed attempt (no answer in time, a redirect, a non-2xx answer) throws,
 * so graphile-worker runs the task again after its backoff (e^attempt seconds); after
 * WEBHOOK_MAX_ATTEMPTS the delivery is recorded as given up. The job itself is never touched.
 */
import { createHmac } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { WEBHOOK_EVENTS, webhookTargetProblem } from '@darkroom/core';
import { jobViewInclude, queuePlaceOf, toJobView, type Db } from '@darkroom/db';
import type { Task } from 'graphile-worker';
import type { Logger } from 'pino';
import { z } from 'zod';

const Payload = z.object({ jobId: z.string().uuid(), event: z.enum(WEBHOOK_EVENTS), messageId: z.string().min(1).max(100) }).strict();

export interface WebhookTaskOptions {
  db: Db;
  log: Logger;
  maxAttempts: number;
  timeoutMs: number;
  allowPrivateTargets: boolean;
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the secret's bytes (the part after `whsec_`, base64). */
export function signWebhook(secret: string, messageId: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${messageId}.${timestamp}.${body}`).digest('base64')}`;
}

export function makeDeliverWebhookTask({ db, log, maxAttempts, timeoutMs, allowPrivateTargets }: WebhookTaskOptions): Task {
  return async (payload, helpers) => {
    const parsed = Payload.safeParse(payload);
    if (!parsed.success) {
      // Retrying cannot fix a payload; say so and drop it.
      log.error({ payload, issues: parsed.error.issues }, 'deliver_webhook: malformed payload, dropped');
      return;
    }
    const { jobId, event, messageId } = parsed.data;
    const job = await db.job.findUnique({ where: { id: jobId }, include: { ...jobViewInclude, user: { select: { webhookSecret: true } } } });
    if (!job?.webhookUrl || !job.user.webhookSecret) return;
    const url = job.webhookUrl;
    const attempt = helpers.job.attempts;
    const body = JSON.stringify({ type: event, timestamp: new Date().toISOString(), data: toJobView(job, await queuePlaceOf(db, job)) });
    const timestamp = Math.floor(Date.now() / 1000);
    const startedAt = new Date();

    let statusCode: number | null = null;
    let error: string | null = null;
    // Checked again at delivery: the name may resolve elsewhere now than at submit.
    const refused = await webhookTargetProblem(url, {
      allowPrivate: allowPrivateTargets,
      lookup: async (host) => (await lookup(host, { all: true })).map((entry) => entry.address),
    });
    if (refused) {
      error = refused;
    } else {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Darkroom-Webhooks/1',
            'webhook-id': messageId,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signWebhook(job.user.webhookSecret, messageId, timestamp, body),
          },
          body,
          // A redirect is a failure: following it could lead anywhere, including inside our network.
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        statusCode = response.status;
        await response.body?.cancel();
        if (response.status < 200 || response.status >= 300) {
          error = response.status >= 300 && response.status < 400 ? `redirected (HTTP ${response.status}); webhooks do not follow redirects` : `the receiver answered HTTP ${response.status}`;
        }
      } catch (cause) {
        const name = (cause as Error).name;
        error = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${timeoutMs} ms` : `could not connect: ${(cause as { cause?: Error }).cause?.message ?? (cause as Error).message}`;
      }
    }
    const succeeded = error === null;
    const willRetry = !succeeded && !refused && attempt < maxAttempts;
    await db.webhookDelivery.create({
      data: { jobId, messageId, event, url, attempt, statusCode, error, succeeded, willRetry, startedAt, finishedAt: new Date() },
    });
    if (willRetry) throw new Error(`webhook ${messageId} for job ${jobId}, attempt ${attempt} of ${maxAttempts}: ${error}`);
    if (!succeeded) log.warn({ jobId, messageId, attempt, error }, 'webhook given up');
  };
}
