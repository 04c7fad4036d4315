/**
 * How REST answers errors: `{ error: { code, message, details } }` with the HTTP status of the code.
 * The codes are the domain's closed set (packages/core errors.ts); schema failures are BAD_INPUT with
 * every field's path and limit in `details.issues`.
 */
import { isDomainError, type DomainErrorCode } from '@darkroom/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { fieldIssues } from '../zod-issues.js';

export const DOMAIN_TO_HTTP: Record<DomainErrorCode, number> = {
  BAD_INPUT: 400,
  UNAUTHORIZED: 401,
  INSUFFICIENT_CREDITS: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  // Both say "not in this state / not with this body": the request may be right another time.
  CONFLICT: 409,
  INVALID_STATE: 409,
  RATE_LIMITED: 429,
};

export function sendRestError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof ZodError) {
    const issues = fieldIssues(error);
    const message = issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
    return reply.code(400).send({ error: { code: 'BAD_INPUT', message, details: { issues } } });
  }
  if (isDomainError(error)) {
    const seconds = error.details?.retryAfterSeconds;
    if (error.code === 'RATE_LIMITED' && typeof seconds === 'number') reply.header('Retry-After', String(seconds));
    return reply.code(DOMAIN_TO_HTTP[error.code]).send({ error: { code: error.code, message: error.message, details: error.details ?? null } });
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.statusCode === 413) {
    return reply.code(413).send({ error: { code: 'PAYLOAD_TOO_LARGE', message: fastifyError.message, details: null } });
  }
  if (fastifyError.statusCode && fastifyError.statusCode < 500) {
    // Unparseable JSON, a wrong content type: the body is bad before any schema sees it.
    return reply.code(fastifyError.statusCode).send({ error: { code: 'BAD_INPUT', message: fastifyError.message, details: null } });
  }
  request.log.error({ err: error }, 'request failed');
  return reply.code(500).send({ error: { code: 'INTERNAL', message: 'something went wrong inside Darkroom', details: null } });
}
