import { HOUSEKEEPING_PRIORITY, TASKS, type WebhookEvent } from '@darkroom/core';
import type { Tx } from './client.js';

/**
 * graphile-worker's own attempt cap for a delivery task. The worker's WEBHOOK_MAX_ATTEMPTS (lower)
 * decides when a delivery is given up and marked failed; this only bounds a misconfiguration.
 */
export const WEBHOOK_DELIVERY_MAX_ATTEMPTS = TASKS.deliver_webhook.maxAttempts;

/**
 * Queues the webhook of a job that has a webhook URL and asked for `event` (a no-op otherwise). Call it
 * in the transaction that writes the status change, so a webhook is sent exactly when the job really
 * started or ended.
 */
export async function enqueueJobWebhook(tx: Tx, jobId: string, event: WebhookEvent = 'job.finished'): Promise<void> {
  await tx.$executeRaw`
    select graphile_worker.add_job(
      'deliver_webhook',
      json_build_object('jobId', id::text, 'event', ${event}::text, 'messageId', 'msg_' || replace(gen_random_uuid()::text, '-', '')),
      max_attempts := ${WEBHOOK_DELIVERY_MAX_ATTEMPTS}::int,
      priority := ${HOUSEKEEPING_PRIORITY}::int
    )
    from jobs where id = ${jobId}::uuid and webhook_url is not null and ${event}::text = any(webhook_events)`;
}
