/**
 * What happens to a /trpc request before tRPC sees it. tRPC's Fastify plugin hands a multipart body to
 * tRPC as the raw request stream, which tRPC cannot serialise (a 500), and Fastify's own refusals (a
 * content type it cannot parse, a body over the limit) come out in Fastify's shape rather than tRPC's.
 * No procedure takes form data or bytes, so anything but JSON is refused up front, and every refusal
 * at this level is answered the way a procedure's error is: `{ error: { message, code, data } }`.
 */
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { JobEventsFollowInput, JobFeedInput, JobFollowInput } from '@darkroom/core';
import { z, ZodError } from 'zod';
import { fieldIssues } from './zod-issues.js';

type TransportErrorCode = 'BAD_REQUEST' | 'UNSUPPORTED_MEDIA_TYPE' | 'PAYLOAD_TOO_LARGE' | 'METHOD_NOT_SUPPORTED';

const HTTP_STATUS: Record<TransportErrorCode, number> = {
  BAD_REQUEST: 400,
  METHOD_NOT_SUPPORTED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

/** tRPC's error body (as the error formatter in trpc.ts shapes it) for a request no procedure saw. */
function sendTransportError(
  reply: FastifyReply,
  code: TransportErrorCode,
  message: string,
  zodIssues: ReturnType<typeof fieldIssues> | null = null,
) {
  const httpStatus = HTTP_STATUS[code];
  return reply.code(httpStatus).send({
    error: {
      message,
      code: TRPC_ERROR_CODES_BY_KEY[code],
      data: { code, httpStatus, path: null, zodIssues, domainCode: null, details: null },
    },
  });
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Live streams' inputs, checked before the stream opens: tRPC answers a subscription's bad input with
 * 200 and an error event inside the stream, which an EventSource takes as a reason to reconnect for
 * ever. Their input is the `input` query parameter with the Last-Event-ID (header or query) merged in,
 * as tRPC merges it.
 */
const SUBSCRIPTION_INPUTS = new Map<string, z.ZodType>([
  ['jobs.feed', JobFeedInput],
  ['jobs.onUpdate', JobFollowInput],
  ['jobs.onEvent', JobEventsFollowInput],
]);

function subscriptionInputProblem(
  procedure: string,
  query: Record<string, string | undefined>,
  headers: Record<string, unknown>,
): ZodError | string | null {
  const schema = SUBSCRIPTION_INPUTS.get(procedure);
  if (!schema) return null;
  let input: unknown;
  try {
    input = query.input === undefined ? undefined : JSON.parse(query.input);
  } catch {
    return 'the input query parameter is not JSON';
  }
  const header = headers['last-event-id'];
  const lastEventId = (typeof header === 'string' ? header : undefined) ?? query.lastEventId ?? query['Last-Event-Id'];
  if (lastEventId)
    input = typeof input === 'object' && input !== null ? { ...input, lastEventId } : (input ?? { lastEventId });
  const parsed = schema.safeParse(input);
  return parsed.success ? null : parsed.error;
}

/** Call inside the scope that registers the tRPC plugin, before registering it. */
export function guardTrpcTransport(scope: FastifyInstance) {
  scope.addHook('onRequest', async (request, reply) => {
    if (request.method === 'GET') {
      const procedure = decodeURIComponent(request.url.slice('/trpc/'.length).split('?')[0] ?? '');
      const problem = subscriptionInputProblem(
        procedure,
        request.query as Record<string, string | undefined>,
        request.headers,
      );
      if (problem instanceof ZodError)
        return sendTransportError(reply, 'BAD_REQUEST', z.prettifyError(problem), fieldIssues(problem));
      if (problem) return sendTransportError(reply, 'BAD_REQUEST', problem);
    }
    const type = request.headers['content-type'];
    if (request.method === 'GET' || request.method === 'HEAD' || type === undefined || JSON_TYPE.test(type)) return;
    return sendTransportError(
      reply,
      'UNSUPPORTED_MEDIA_TYPE',
      `tRPC calls take JSON: send Content-Type application/json, not ${type.slice(0, 100)}`,
    );
  });
  scope.setErrorHandler((error: FastifyError, request, reply) => {
    // The server-wide check for text Postgres cannot store (storable-text.ts) also reads the path and query.
    if (error instanceof ZodError) return sendTransportError(reply, 'BAD_REQUEST', error.message, fieldIssues(error));
    if (error.statusCode === 413)
      return sendTransportError(
        reply,
        'PAYLOAD_TOO_LARGE',
        `the body is larger than this server accepts (${request.server.initialConfig.bodyLimit} bytes)`,
      );
    if (error.statusCode === 415) return sendTransportError(reply, 'UNSUPPORTED_MEDIA_TYPE', error.message);
    if (error.statusCode && error.statusCode < 500) return sendTransportError(reply, 'BAD_REQUEST', error.message);
    // Anything else escaped tRPC's own handling: a bug, reported as tRPC reports one.
    request.log.error({ err: error }, 'tRPC request failed outside any procedure');
    return reply.code(500).send({
      error: {
        message: 'something went wrong inside Darkroom',
        code: TRPC_ERROR_CODES_BY_KEY.INTERNAL_SERVER_ERROR,
        data: {
          code: 'INTERNAL_SERVER_ERROR',
          httpStatus: 500,
          path: null,
          zodIssues: null,
          domainCode: null,
          details: null,
        },
      },
    });
  });
}

/**
 * Call inside the tRPC scope. tRPC's Fastify adapter answers with a fetch `Response`, which Fastify
 * streams: chunked encoding, the headers and the body in separate writes. An answer that is one JSON
 * document (every query and mutation not sent as a JSON-lines batch) is sent whole instead, with a
 * Content-Length, in one write: under load the extra writes were a fifth of the API's CPU time.
 * Subscriptions (SSE) and JSON-lines batches still stream.
 */
export function sendWholeTrpcAnswers(scope: FastifyInstance) {
  scope.addHook('onSend', async (_request, reply, payload) => {
    if (
      !(payload instanceof Response) ||
      payload.headers.has('transfer-encoding') ||
      !payload.headers.get('content-type')?.startsWith('application/json')
    ) {
      return payload;
    }
    reply.code(payload.status);
    for (const [name, value] of payload.headers) reply.header(name, value);
    return payload.text();
  });
}
