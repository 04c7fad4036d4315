/**
 * Spans at Darkroom's seams, through the OpenTelemetry API only. Until `startTelemetry` (./setup)
 * registers an SDK, every call here is the API's no-op: no span is recorded, nothing is exported, and
 * `currentTraceParent()` answers null, so a job carries no trace context.
 *
 * Attribute names are OpenTelemetry's semantic conventions where one exists (`http.*`, `url.*`,
 * `error.type`) and `darkroom.*` otherwise. Prompts, negative prompts, keys and query strings are never
 * attributes: a trace backend is read by more people than the jobs table.
 */
import {
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TimeInput,
} from '@opentelemetry/api';

export { SpanKind, type Attributes, type Context, type Span };

/** Darkroom's attribute names, in one place so the API, the worker and the tests agree. */
export const ATTR = {
  jobId: 'darkroom.job.id',
  provider: 'darkroom.provider',
  images: 'darkroom.job.images',
  priority: 'darkroom.job.priority',
  batchJobs: 'darkroom.batch.jobs',
  jobAttempt: 'darkroom.job.attempt',
  imageIndex: 'darkroom.image.index',
  imageAttempt: 'darkroom.image.attempt',
  storageKey: 'darkroom.storage.key',
  bytes: 'darkroom.storage.bytes',
  errorType: 'error.type',
} as const;

/** The tracer every Darkroom span comes from (a no-op until an SDK is registered). */
export function tracer() {
  return trace.getTracer('darkroom');
}

export interface SpanOptions {
  attributes?: Attributes;
  kind?: SpanKind;
  /** The parent; default the active context. */
  parent?: Context;
  /** When the span began, if before the call (e.g. a claim made before the trace was known). */
  startTime?: TimeInput;
}

/**
 * Runs `fn` inside a new span made the active one, so spans started within it are its children. A throw
 * marks the span failed with the error's code (never its message, which can quote the caller's input).
 */
export async function withSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const { parent, ...spanOptions } = options;
  return tracer().startActiveSpan(name, spanOptions, parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      markFailed(span, codeOf(error));
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A failure on `span`, named by its domain code (`error.type`). */
export function markFailed(span: Span, code: string): void {
  span.setAttribute(ATTR.errorType, code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}

/** The code a thrown error carries (DomainError, ProviderError, a Node system error), else `internal`. */
export function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[\w.-]{1,64}$/.test(code) ? code : 'internal';
}

/** The active span, if any, for events and attributes at a seam that makes no span of its own. */
export function activeSpan(): Span | undefined {
  return trace.getActiveSpan();
}

/** The W3C traceparent of the active span, to store with a job; null when traces are off. */
export function currentTraceParent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** The context a stored traceparent names (a remote parent), or the root context when there is none. */
export function contextFromTraceParent(traceParent: string | null | undefined): Context {
  if (!traceParent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent: traceParent });
}

/** The context an inbound request's headers carry (`traceparent`, `tracestate`), else the root. */
export function contextFromHeaders(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}

/** Runs `fn` with `ctx` active. */
export function withContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

/** `ctx` with `span` as its active span. */
export function contextWithSpan(ctx: Context, span: Span): Context {
  return trace.setSpan(ctx, span);
}

/** `url` without its query and fragment (signed download links carry credentials there). */
export function urlWithoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return 'invalid-url';
  }
}

const ATTEMPT = createContextKey('darkroom.image.attempt');

/** Runs `fn` with the image's attempt number in context, for the vendor-call spans made inside it. */
export function withAttempt<T>(attempt: number, fn: () => T): T {
  return context.with(context.active().setValue(ATTEMPT, attempt), fn);
}

/** The image attempt `withAttempt` set, if any. */
export function currentAttempt(): number | undefined {
  const attempt = context.active().getValue(ATTEMPT);
  return typeof attempt === 'number' ? attempt : undefined;
}
