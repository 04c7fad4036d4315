/**
 * A leaner road for the queries clients poll (`GET /trpc/jobs.get?input=...`). tRPC's Fastify adapter
 * is its fetch adapter underneath: every request becomes an undici `Request` with its own
 * AbortSignals, goes through `resolveResponse`, and comes back as a fetch `Response` whose body is read
 * again (sendWholeTrpcAnswers). Profiled under load that was about a seventh of the API's busy time per
 * read. Here the same procedure is called through tRPC's own `callTRPCProcedure` (its middlewares, input
 * and output validation, context) and its answer or error is shaped by tRPC's own functions, so the
 * wire format is the one the adapter writes; trpc-lean-reads.test.ts compares the two for good and
 * hostile calls. Anything unusual (a batch, a stream, input that is not JSON) is handed to tRPC's
 * adapter unchanged.
 */
import { callTRPCProcedure, getTRPCErrorFromUnknown, getTRPCErrorShape, type AnyTRPCRouter } from '@trpc/server';
import { fastifyRequestHandler, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import { getHTTPStatusCode } from '@trpc/server/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The polled queries: reads with no side effect, answered as plain JSON. */
export const LEAN_QUERIES = ['jobs.get', 'jobs.list', 'queue.status'] as const;

type TrpcOptions<TRouter extends AnyTRPCRouter> = FastifyTRPCPluginOptions<TRouter>['trpcOptions'];

/** tRPC sets this on every answer; kept so caches treat both roads alike. */
const VARY = 'trpc-accept, accept';

/**
 * Call inside the tRPC scope (its guard and error handler apply), before registering tRPC's plugin.
 * Fastify prefers these static routes to the plugin's `/trpc/:path`.
 */
export function registerLeanTrpcReads<TRouter extends AnyTRPCRouter>(
  scope: FastifyInstance,
  options: TrpcOptions<TRouter>,
  paths: readonly string[] = LEAN_QUERIES,
) {
  const { router, createContext, onError, responseMeta } = options;
  const config = router._def._config;
  for (const path of paths) {
    // Only queries: a mutation or subscription here would skip tRPC's method checks.
    if (router._def.procedures[path]?._def.type !== 'query') throw new Error(`${path} is not a query`);
    // HEAD stays tRPC's (it answers 204 without running anything).
    scope.get(`/trpc/${path}`, { exposeHeadRoute: false }, async (request, reply) => {
      const query = request.query as Record<string, string | undefined>;
      const raw = query.input;
      let input: unknown;
      try {
        input = raw === undefined ? undefined : JSON.parse(raw);
      } catch {
        return viaAdapter(request, reply, path);
      }
      if (query.batch !== undefined || request.headers['trpc-accept'] !== undefined) {
        return viaAdapter(request, reply, path);
      }
      let ctx: Awaited<ReturnType<NonNullable<typeof createContext>>> | undefined;
      let body: unknown;
      let errors: ReturnType<typeof getTRPCErrorFromUnknown>[] = [];
      try {
        ctx = await createContext?.({ req: request, res: reply, info: undefined as never });
        const data = await callTRPCProcedure({
          router,
          path,
          getRawInput: async () => input,
          ctx,
          type: 'query',
          signal: undefined,
          batchIndex: 0,
        });
        body = { result: { data } };
      } catch (cause) {
        const error = getTRPCErrorFromUnknown(cause);
        onError?.({ error, path, input, ctx, type: 'query', req: request } as never);
        errors = [error];
        body = { error: getTRPCErrorShape({ config, ctx, error, input, path, type: 'query' }) };
      }
      const meta =
        responseMeta?.({
          ctx,
          info: undefined,
          paths: [path],
          type: 'query',
          data: [body] as never,
          errors,
          eagerGeneration: false,
        }) ?? {};
      if (meta.headers instanceof Headers) for (const [name, value] of meta.headers) reply.header(name, value);
      return (
        reply
          .code(meta.status ?? getHTTPStatusCode(body as never))
          .header('vary', VARY)
          .header('content-type', 'application/json')
          // Bytes, not a string: Fastify would add a charset tRPC's answers do not carry.
          .send(Buffer.from(JSON.stringify(body)))
      );
    });
  }

  function viaAdapter(request: FastifyRequest, reply: FastifyReply, path: string) {
    return fastifyRequestHandler({ ...options, req: request, res: reply, path } as never);
  }
}
