/**
 * Webhooks: the shapes of a job's callback (URL, events, deliveries). Which addresses a webhook may
 * reach is the outbound guard's to say (`@darkroom/core/outbound`), at submit and again at delivery.
 */
import { z } from 'zod';

/**
 * Events a webhook is sent for: a job started running (each run), a job ended (succeeded, failed,
 * canceled); and, only when listed: an image was stored or failed for good, the job's progress moved
 * (at most once a second), its queue position or expected start moved (at most once a second).
 */
export const WEBHOOK_EVENTS = [
  'job.started',
  'job.finished',
  'image.succeeded',
  'image.failed',
  'job.progress',
  'job.position',
] as const;
export const WebhookEvent = z.enum(WEBHOOK_EVENTS, {
  error: (issue) => `unknown webhook event ${JSON.stringify(issue.input)}; known: ${WEBHOOK_EVENTS.join(', ')}`,
});

/** The timeline event (events.ts) each listed-only webhook event is sent for. */
export const WEBHOOK_EVENT_OF_TIMELINE = {
  image_succeeded: 'image.succeeded',
  image_failed: 'image.failed',
  progress: 'job.progress',
  position: 'job.position',
} as const satisfies Record<string, WebhookEvent>;
export type WebhookEvent = z.infer<typeof WebhookEvent>;

/** A webhook target as a request names it: http(s), at most 2048 characters, no credentials in it. */
export const WebhookUrl = z
  .url({ protocol: /^https?$/, message: 'webhookUrl must be an http or https URL' })
  .max(2048)
  .refine((text) => {
    // Runs even when the URL check failed; that failure is reported on its own.
    if (!URL.canParse(text)) return true;
    const url = new URL(text);
    return url.username === '' && url.password === '';
  }, 'webhookUrl must not carry a user name or password');

/** One delivery attempt, as the job's owner sees it. */
export const WebhookDeliveryView = z.object({
  id: z.string(),
  messageId: z.string(),
  event: z.string(),
  url: z.string(),
  attempt: z.number().int(),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  succeeded: z.boolean(),
  willRetry: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type WebhookDeliveryView = z.infer<typeof WebhookDeliveryView>;

/** The user's signing secret (`whsec_...`). */
export const WebhookSecretView = z.object({ secret: z.string() });
export type WebhookSecretView = z.infer<typeof WebhookSecretView>;
