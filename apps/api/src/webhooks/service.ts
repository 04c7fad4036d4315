/**
 * Webhooks as the API sees them: the user's signing secret, the submit-time check of a target, and a
 * job's delivery attempts. Delivery itself is the worker's `deliver_webhook` task.
 */
import { randomBytes } from 'node:crypto';
import { DomainError, type WebhookDeliveryView, type WebhookSecretView } from '@darkroom/core';
import type { Db, Tx } from '@darkroom/db';
import type { AuthUser } from '../context.js';
import type { AccountSettings } from '../env.js';

interface ServiceOptions {
  db: Db;
  user: AuthUser;
}

function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** The user's secret, made on first use (concurrent first uses agree on one). */
export async function getWebhookSecret({ db, user }: ServiceOptions): Promise<WebhookSecretView> {
  return { secret: await ensureWebhookSecret(db, user.id) };
}

/** A new secret; deliveries from now on are signed with it only. */
export async function rotateWebhookSecret({ db, user }: ServiceOptions): Promise<WebhookSecretView> {
  const secret = newSecret();
  await db.user.update({ where: { id: user.id }, data: { webhookSecret: secret } });
  return { secret };
}

export async function ensureWebhookSecret(db: Db | Tx, userId: string): Promise<string> {
  const [row] = await db.$queryRaw<{ webhook_secret: string }[]>`
    update users set webhook_secret = coalesce(webhook_secret, ${newSecret()}) where id = ${userId}::uuid returning webhook_secret`;
  if (!row) throw new DomainError('NOT_FOUND', 'account not found');
  return row.webhook_secret;
}

/**
 * Refuses (BAD_INPUT, `details.field`) a webhook URL whose host resolves to anything but a public
 * address (the outbound guard), unless such targets are allowed; makes sure the user has a secret to
 * sign with.
 */
export async function assertWebhookTarget({
  db,
  user,
  settings,
  url,
  field,
}: ServiceOptions & { settings: AccountSettings; url: string; field: string }) {
  const { problem } = await settings.outbound.check(url, field);
  if (problem) throw new DomainError('BAD_INPUT', problem, { field });
  await ensureWebhookSecret(db, user.id);
}

/** Every delivery attempt of a job's webhooks, oldest first. Another user's job answers NOT_FOUND. */
export async function listWebhookDeliveries({
  db,
  user,
  id,
}: ServiceOptions & { id: string }): Promise<WebhookDeliveryView[]> {
  const job = await db.job.findFirst({
    where: { id, ...(user.role === 'admin' ? {} : { userId: user.id }) },
    select: { id: true },
  });
  if (!job) throw new DomainError('NOT_FOUND', `job ${id} not found`);
  const rows = await db.webhookDelivery.findMany({
    where: { jobId: id },
    orderBy: [{ startedAt: 'asc' }, { attempt: 'asc' }],
  });
  return rows.map((row) => ({
    id: row.id,
    messageId: row.messageId,
    event: row.event,
    url: row.url,
    attempt: row.attempt,
    statusCode: row.statusCode,
    error: row.error,
    succeeded: row.succeeded,
    willRetry: row.willRetry,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt.toISOString(),
  }));
}
