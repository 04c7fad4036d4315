/**
 * One server span per HTTP request, made in Fastify's hooks (the HTTP/Fastify instrumentation packages
 * patch CommonJS `require` and need a loader under ESM; a hook needs neither). Registered only when
 * traces are on.
 *
 * The span begins at `onRequest` and is made the active context from `preHandler` on: the body is read
 * between the two, in the socket's async context, which would lose a context entered earlier. Its
 * name and attributes use the route's pattern and the path only, never the query string (a tRPC query
 * carries its input, prompts included, there).
 */
import {
  contextFromHeaders,
  contextWithSpan,
  markFailed,
  SpanKind,
  tracer,
  withContext,
  type Context,
  type Span,
} from '@darkroom/telemetry';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const spans = new WeakMap<FastifyRequest, { span: Span; context: Context }>();

export function registerRequestSpans(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    // A caller's own traceparent makes its trace the parent, as any traced HTTP server does.
    const parent = contextFromHeaders(request.headers);
    const span = tracer().startSpan(
      `${request.method} ${route ?? 'unmatched'}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'url.path': request.url.split('?')[0]!,
          ...(route ? { 'http.route': route } : {}),
          ...(typeof (request.params as { path?: unknown })?.path === 'string' && route?.startsWith('/trpc/')
            ? { 'rpc.method': (request.params as { path: string }).path }
            : {}),
        },
      },
      parent,
    );
    spans.set(request, { span, context: contextWithSpan(parent, span) });
    done();
  });
  app.addHook('preHandler', (request, _reply, done) => {
    const entry = spans.get(request);
    // The rest of the request (later hooks, the handler and what it awaits) runs with the span active.
    if (entry) withContext(entry.context, done);
    else done();
  });
  const end = (request: FastifyRequest, statusCode: number | null) => {
    const entry = spans.get(request);
    if (!entry) return;
    spans.delete(request);
    if (statusCode !== null) entry.span.setAttribute('http.response.status_code', statusCode);
    if (statusCode === null) markFailed(entry.span, 'aborted');
    else if (statusCode >= 500) markFailed(entry.span, String(statusCode));
    entry.span.end();
  };
  app.addHook('onResponse', (request, reply, done) => {
    end(request, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    end(request, null);
    done();
  });
}
