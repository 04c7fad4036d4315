/**
 * A leaner road for the queries clients poll (`GET /trpc/jobs.get?input=...`) and the submit. tRPC's Fastify adapter
 * is its fetch adapter underneath: every request becomes an undici `Request` with its own
 * AbortSignals, goes through `resolveResponse`, and comes back as a fetch `Response` whose body is read
 * again (sendWholeTrpcAnswers). Profiled under load that was about a seventh of the API's busy time per
 * read. Here the same procedure is called through tRPC's own `callTRPCProcedure` (its middlewares, input
 * and output validation, context) and its answer or error is shaped by tRPC's own functions, so the
 * wire format is the one the adapter writes; trpc-lean-calls.test.ts compares the two for good and
 * hostile calls. It is a hook on tRPC's own route (`/trpc/:path`), so logs, metrics and spans name the
 * route as before; anything unusual (a batch, a stream, input that is not JSON, HEAD) goes on to tRPC's
 * adapter unchanged.
 */
import { callTRPCProcedure, getTRPCErrorFromUnknown, getTRPCErrorShape, type AnyTRPCRouter } from '@trpc/server';
import type { FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import { getHTTPStatusCode } from '@trpc/server/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The polled queries: reads with no side effect, answered as plain JSON. */
export const LEAN_QUERIES = ['jobs.get', 'jobs.list', 'queue.status'] as const;
/** The submit, whose latency is the service's promise (docs/performance.md, "submit -> start"). */
export const LEAN_MUTATIONS = ['jobs.create'] as const;

type TrpcOptions<TRouter extends AnyTRPCRouter> = FastifyTRPCPluginOptions<TRouter>['trpcOptions'];
type CallType = 'query' | 'mutation';

/** tRPC sets this on every answer; kept so caches treat both roads alike. */
const VARY = 'trpc-accept, accept';

/** Call inside the tRPC scope, before registering tRPC's plugin, so the hook covers its route. */
export function registerLeanTrpcCalls<TRouter extends AnyTRPCRouter>(
  scope: FastifyInstance,
  options: TrpcOptions<TRouter>,
  {
    queries = LEAN_QUERIES,
    mutations = LEAN_MUTATIONS,
  }: { queries?: readonly string[]; mutations?: readonly string[] } = {},
) {
  const { router, createContext, onError, responseMeta } = options;
  const config = router._def._config;
  const typeOf = new Map<string, CallType>();
  for (const [names, type] of [
    [queries, 'query'],
    [mutations, 'mutation'],
  ] as const) {
    for (const path of names) {
      // A subscription here would skip tRPC's method checks and its streaming.
      if (router._def.procedures[path]?._def.type !== type) throw new Error(`${path} is not a ${type}`);
      typeOf.set(path, type);
    }
  }

  scope.addHook('preHandler', async (request, reply) => {
    const path = (request.params as { path?: unknown }).path;
    const type = typeof path === 'string' ? typeOf.get(path) : undefined;
    if (!type || request.method !== (type === 'query' ? 'GET' : 'POST')) return;
    const query = request.query as Record<string, unknown>;
    // tRPC's own reading of the call decides anything unusual: a batch, a stream, a GET with a content
    // type (tRPC may pick another body parser), a POST that is not JSON, input that does not parse.
    if (query.batch !== undefined || request.headers['trpc-accept'] !== undefined) return;
    const contentType = request.headers['content-type'];
    if (type === 'query' ? contentType !== undefined : !contentType?.toLowerCase().startsWith('application/json'))
      return;
    // The plugin's parser leaves a POST body as text.
    const raw = type === 'query' ? query.input : request.body;
    let input: unknown;
    try {
      if (typeof raw !== 'string' && raw !== undefined) return;
      input = raw === undefined ? undefined : JSON.parse(raw);
    } catch {
      return;
    }
    await answer(request, reply, path as string, type, input);
    return reply;
  });

  async function answer(request: FastifyRequest, reply: FastifyReply, path: string, type: CallType, input: unknown) {
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
        type,
        signal: undefined,
        batchIndex: 0,
      });
      body = { result: { data } };
    } catch (cause) {
      const error = getTRPCErrorFromUnknown(cause);
      onError?.({ error, path, input, ctx, type, req: request } as never);
      errors = [error];
      body = { error: getTRPCErrorShape({ config, ctx, error, input, path, type }) };
    }
    const meta =
      responseMeta?.({
        ctx,
        info: undefined,
        paths: [path],
        type,
        data: [body] as never,
        errors,
        eagerGeneration: false,
      }) ?? {};
    if (meta.headers instanceof Headers) for (const [name, value] of meta.headers) reply.header(name, value);
    reply
      .code(meta.status ?? getHTTPStatusCode(body as never))
      .header('vary', VARY)
      .header('content-type', 'application/json')
      // Bytes, not a string: Fastify would add a charset tRPC's answers do not carry.
      .send(Buffer.from(JSON.stringify(body)));
  }
}
