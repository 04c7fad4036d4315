/**
 * tRPC over HTTP for tests: a procedure called the way a browser or program calls it, through
 * Fastify's inject (the whole HTTP stack, no socket).
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

export interface TrpcAnswer {
  status: number;
  headers: LightMyRequestResponse['headers'];
  data: unknown;
  error: {
    message: string;
    data: { code: string; domainCode: string | null; details: Record<string, unknown> | null };
  } | null;
  response: LightMyRequestResponse;
}

export async function callTrpc(
  server: FastifyInstance,
  procedure: string,
  input: unknown,
  {
    kind = 'mutation',
    headers = {},
    remoteAddress = '127.0.0.1',
  }: { kind?: 'query' | 'mutation'; headers?: Record<string, string>; remoteAddress?: string } = {},
): Promise<TrpcAnswer> {
  const response =
    kind === 'query'
      ? await server.inject({
          method: 'GET',
          url: `/trpc/${procedure}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`,
          headers,
          remoteAddress,
        })
      : await server.inject({
          method: 'POST',
          url: `/trpc/${procedure}`,
          headers: { 'content-type': 'application/json', ...headers },
          payload: JSON.stringify(input ?? null),
          remoteAddress,
        });
  const body = response.json() as { result?: { data: unknown }; error?: TrpcAnswer['error'] };
  return {
    status: response.statusCode,
    headers: response.headers,
    data: body.result?.data ?? null,
    error: body.error ?? null,
    response,
  };
}

/** The `name=value` of the session cookie a response set, for sending back. */
export function sessionCookieOf(answer: TrpcAnswer): string {
  const header = answer.headers['set-cookie'];
  const cookie = (Array.isArray(header) ? header : [header]).find((value) => value?.startsWith('darkroom_session='));
  if (!cookie) throw new Error(`no session cookie in ${JSON.stringify(answer.headers)}`);
  return cookie;
}
