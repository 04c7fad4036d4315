/**
 * Webhooks: where a job may call back, and which addresses it may never call (the service's own
 * network). Pure: the DNS lookup is handed in by the caller (API at submit, worker at delivery).
 */
import { z } from 'zod';

/** Events a webhook is sent for: a job started running (each run), a job ended (succeeded, failed, canceled). */
export const WEBHOOK_EVENTS = ['job.started', 'job.finished'] as const;
export const WebhookEvent = z.enum(WEBHOOK_EVENTS);
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

/**
 * Whether `ip` is an address on the public internet. Loopback, private (RFC 1918, unique-local),
 * link-local (cloud metadata lives there), carrier-grade NAT, multicast, unspecified and reserved
 * ranges are not.
 */
export function isPublicAddress(ip: string): boolean {
  const v4 = parseIpv4(ip);
  if (v4) return isPublicIpv4(v4);
  const lower = ip.toLowerCase().replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return isPublicAddress(mapped[1]!);
  if (!lower.includes(':')) return false;
  if (lower === '::' || lower === '::1') return false;
  const first = Number.parseInt(lower.split(':')[0] || '0', 16);
  if ((first & 0xfe00) === 0xfc00) return false; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return false; // fe80::/10 link-local
  if ((first & 0xff00) === 0xff00) return false; // multicast
  return true;
}

function parseIpv4(ip: string): number[] | null {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) return null;
  return parts.map(Number);
}

function isPublicIpv4([a, b]: number[]): boolean {
  if (a === 0 || a === 10 || a === 127) return false;
  if (a === 100 && b! >= 64 && b! <= 127) return false; // carrier-grade NAT
  if (a === 169 && b === 254) return false; // link-local, cloud metadata
  if (a === 172 && b! >= 16 && b! <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 192 && b === 0) return false; // 192.0.0.0/24 and 192.0.2.0/24 (protocol assignments, documentation)
  if (a === 198 && (b === 18 || b === 19)) return false; // benchmarking
  if (a! >= 224) return false; // multicast and reserved
  return true;
}

/**
 * Where a webhook to `url` goes: the address to connect to, or why it may not be sent. Every address
 * the host resolves to must be public, unless private targets are allowed (tests, a trusted internal
 * network). The caller connects to the answered address itself instead of resolving the name again,
 * so a name that resolves elsewhere a moment later (DNS rebinding) cannot steer the request inside.
 */
export async function resolveWebhookTarget(
  url: string,
  { lookup, allowPrivate }: { lookup: (hostname: string) => Promise<string[]>; allowPrivate: boolean },
): Promise<{ address: string; problem?: never } | { problem: string; address?: never }> {
  const hostname = new URL(url).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = await lookup(hostname);
  } catch (error) {
    return { problem: `webhookUrl's host ${hostname} does not resolve (${(error as Error).message})` };
  }
  const blocked = allowPrivate ? undefined : addresses.find((address) => !isPublicAddress(address));
  if (addresses.length === 0 || blocked) return { problem: `webhookUrl must point to a public address; ${hostname} is ${blocked ?? 'unresolvable'}` };
  return { address: addresses[0]! };
}

/** Why a webhook may not be sent to `url` (see resolveWebhookTarget), or null when it may. */
export async function webhookTargetProblem(
  url: string,
  { lookup, allowPrivate }: { lookup: (hostname: string) => Promise<string[]>; allowPrivate: boolean },
): Promise<string | null> {
  if (allowPrivate) return null;
  return (await resolveWebhookTarget(url, { lookup, allowPrivate })).problem ?? null;
}
