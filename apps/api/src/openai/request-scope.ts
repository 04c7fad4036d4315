import type { FastifyReply, FastifyRequest } from 'fastify';

/** What an OpenAI-compatible request carries besides its body, shared by generations, edits and variations. */
export interface OpenAiRequestScope {
  /** The Idempotency-Key header when it is usable as a job's key (1 to 255 characters); otherwise none. */
  idempotencyKey: string | undefined;
  /** Aborts when the caller disconnects before its answer is sent, or when the server stops. */
  gone: AbortSignal;
}

export function openAiRequestScope(
  request: FastifyRequest,
  reply: FastifyReply,
  closing: AbortSignal,
): OpenAiRequestScope {
  // OpenAI's SDKs send one Idempotency-Key per logical request and keep it across their own retries.
  const header = request.headers['idempotency-key'];
  const idempotencyKey = typeof header === 'string' && header.length > 0 && header.length <= 255 ? header : undefined;
  // The socket closing before the answer is sent means the caller left.
  const left = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) left.abort();
  });
  return { idempotencyKey, gone: AbortSignal.any([left.signal, closing]) };
}
