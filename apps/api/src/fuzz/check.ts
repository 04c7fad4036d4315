/**
 * The property every fuzzed request must hold, and the row counts that show a refused request wrote
 * nothing.
 */
import { ApiError } from '@darkroom/core';
import type { Db } from '@darkroom/db';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { expect } from 'vitest';

/** Rows a request could create; a refused request must leave every count as it was. */
export async function rowCounts(db: Db): Promise<Record<string, number>> {
  const [row] = await db.$queryRaw<Record<string, bigint>[]>`
    select (select count(*) from users) as users, (select count(*) from sessions) as sessions,
           (select count(*) from api_keys) as api_keys, (select count(*) from jobs) as jobs,
           (select count(*) from images) as images, (select count(*) from job_events) as job_events,
           (select count(*) from credit_entries) as credit_entries, (select count(*) from "references") as "references",
           (select count(*) from webhook_deliveries) as webhook_deliveries`;
  return Object.fromEntries(Object.entries(row ?? {}).map(([name, n]) => [name, Number(n)]));
}

/** What came back: status, headers, and the body (only its start, for an event stream left open). */
export interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/**
 * Sends one request through the whole HTTP stack (no socket). Subscriptions answer with an event stream
 * that stays open; its start is read, then the request is aborted, as a client that goes away would.
 */
export async function send(app: FastifyInstance, options: InjectOptions): Promise<Answer> {
  const abort = new AbortController();
  const response = await app.inject({ ...options, payloadAsStream: true, signal: abort.signal });
  const stream = response.stream();
  const chunks: Buffer[] = [];
  const isEventStream = String(response.headers['content-type'] ?? '').startsWith('text/event-stream');
  await new Promise<void>((resolve) => {
    const timer = isEventStream ? setTimeout(done, 150) : undefined;
    function done() {
      clearTimeout(timer);
      resolve();
    }
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', done);
    stream.on('error', done);
    stream.on('close', done);
  });
  if (isEventStream) {
    abort.abort();
    stream.destroy();
  }
  return { statusCode: response.statusCode, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') };
}

export interface Sent {
  method: string;
  url: string;
  /** What was sent, for the failure message. */
  describe: string;
}

/** Which error body a surface documents. */
export type ErrorShape = 'trpc' | 'rest' | 'openai' | 'any';

/** The one 5xx allowed: the OpenAI-compatible route's documented 504 when its job outlives the wait. */
export function isAllowedTimeout(sent: Sent, response: Answer): boolean {
  if (response.statusCode !== 504 || sent.method !== 'POST' || !sent.url.startsWith('/v1/images/generations'))
    return false;
  const body = JSON.parse(response.body) as { error?: { code?: unknown } };
  return body.error?.code === 'timeout' && response.headers['x-should-retry'] === 'false';
}

/** Never a 5xx; a JSON body in the documented error shape for every error. */
export function expectWellFormed(sent: Sent, response: Answer, shape: ErrorShape) {
  const context = `${sent.method} ${sent.url.slice(0, 300)}\n${sent.describe.slice(0, 600)}\n-> ${response.statusCode} ${response.body.slice(0, 600)}`;
  if (!isAllowedTimeout(sent, response)) expect(response.statusCode, context).toBeLessThan(500);
  if (sent.method === 'HEAD' || response.statusCode < 400) return;
  // tRPC's own early refusals (no content type, mixed batch) carry JSON labelled text/plain: the body is what counts there.
  if (shape !== 'trpc') expect(String(response.headers['content-type']), context).toMatch(/^application\/json/);
  let body: unknown;
  expect(() => (body = JSON.parse(response.body)), context).not.toThrow();
  // The cross-site check (auth/origin.ts) answers before any route, in the server-wide shape.
  if (
    response.statusCode === 403 &&
    (body as { error?: { message?: string } }).error?.message?.startsWith('cross-site')
  )
    return;
  // Fastify's router refuses an over-long path segment (a tRPC batch of thousands of names) before any route.
  if (response.statusCode === 414) return;
  switch (shape) {
    case 'trpc': {
      // One call: `{ error: { message, code, data: { code, httpStatus } } }`; a batch: an array of those (or results).
      const items = Array.isArray(body) ? body : [body];
      for (const item of items as Record<string, unknown>[]) {
        if ('result' in item) continue;
        const error = item.error as { message?: unknown; data?: { code?: unknown; httpStatus?: unknown } } | undefined;
        expect(typeof error?.message, context).toBe('string');
        expect(typeof error?.data?.code, context).toBe('string');
        expect(typeof error?.data?.httpStatus, context).toBe('number');
      }
      break;
    }
    case 'rest':
      expect(ApiError.safeParse(body).success, `${context}\n(not the documented REST error shape)`).toBe(true);
      break;
    case 'openai': {
      const error = (body as { error?: Record<string, unknown> }).error;
      expect(typeof error?.message, context).toBe('string');
      expect(typeof error?.type, context).toBe('string');
      expect(error && 'param' in error && 'code' in error, context).toBe(true);
      break;
    }
    case 'any':
      expect(body, context).toBeTypeOf('object');
  }
}
