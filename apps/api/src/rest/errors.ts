/**
 * How REST answers errors: `{ error: { code, message, details } }` with the HTTP status and code of
 * core's error table (packages/core errors.ts); schema failures are BAD_INPUT with
 * every field's path and limit in `details.issues`.
 */
import { DOMAIN_ERRORS, isDomainError } from '@darkroom/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { fieldIssues } from '../zod-issues.js';

export function sendRestError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof ZodError) {
    const issues = fieldIssues(error);
    const message = issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
    return reply.code(400).send({ error: { code: 'BAD_INPUT', message, details: { issues } } });
  }
  if (isDomainError(error)) {
    const seconds = error.details?.retryAfterSeconds;
    if (error.code === 'RATE_LIMITED' && typeof seconds === 'number') reply.header('Retry-After', String(seconds));
    const { httpStatus, restCode } = DOMAIN_ERRORS[error.code];
    return reply
      .code(httpStatus)
      .send({ error: { code: restCode, message: error.message, details: error.details ?? null } });
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.statusCode === 413) {
    return reply.code(413).send({ error: { code: 'PAYLOAD_TOO_LARGE', message: fastifyError.message, details: null } });
  }
  if (fastifyError.statusCode && fastifyError.statusCode < 500) {
    // Unparseable JSON, a wrong content type: the body is bad before any schema sees it.
    return reply
      .code(fastifyError.statusCode)
      .send({ error: { code: 'BAD_INPUT', message: fastifyError.message, details: null } });
  }
  request.log.error({ err: error }, 'request failed');
  return reply
    .code(500)
    .send({ error: { code: 'INTERNAL', message: 'something went wrong inside Darkroom', details: null } });
}
