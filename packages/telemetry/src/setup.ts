/**
 * Turning traces on: the standard OTEL_* variables, as a zod shape each app's env.ts adds to its own
 * schema, and `startTelemetry`, which registers an SDK exporting over OTLP/HTTP only when an endpoint
 * is set. Without one it loads nothing (the SDK is imported on demand) and the API stays a no-op.
 */
import { context, diag, propagation, trace } from '@opentelemetry/api';
import { Secret } from '@darkroom/core';
import { z } from 'zod';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'write true or false' })
  .transform((text) => ['true', '1', 'yes'].includes(text));

/** `key=value,key2=value2` (values percent-encoded), the OTLP headers and resource attributes format. */
const keyValueList = (what: string) =>
  z.string().transform((text, ctx) => {
    const pairs: Record<string, string> = {};
    for (const item of text.split(',').map((part) => part.trim())) {
      if (item === '') continue;
      const at = item.indexOf('=');
      const key = at > 0 ? item.slice(0, at).trim() : '';
      if (!/^[\w.-]+$/.test(key)) {
        ctx.addIssue({ code: 'custom', message: `write ${what} as key=value pairs separated by commas` });
        return z.NEVER;
      }
      try {
        pairs[key] = decodeURIComponent(item.slice(at + 1).trim());
      } catch {
        ctx.addIssue({ code: 'custom', message: `the value of ${key} is not valid percent-encoding` });
        return z.NEVER;
      }
    }
    return pairs;
  });

const ratio = z.coerce.number().min(0).max(1);

export const TelemetryEnvShape = {
  /** Where spans go (`/v1/traces` is appended), e.g. http://collector:4318. Unset: traces are off. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** The full traces URL, used as given; overrides OTEL_EXPORTER_OTLP_ENDPOINT for traces. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  /** `http/protobuf` (default) or `http/json`. gRPC is not offered. */
  OTEL_EXPORTER_OTLP_PROTOCOL: z
    .enum(['http/protobuf', 'http/json'], { error: 'write http/protobuf or http/json (grpc is not supported)' })
    .default('http/protobuf'),
  /** Headers sent with every export, e.g. `authorization=Bearer%20abc`; values kept as Secrets (never printed). */
  OTEL_EXPORTER_OTLP_HEADERS: keyValueList('OTEL_EXPORTER_OTLP_HEADERS')
    .transform((pairs) => Object.fromEntries(Object.entries(pairs).map(([key, value]) => [key, new Secret(value)])))
    .optional(),
  /** Longest wait for one export, in ms. Default 10000. */
  OTEL_EXPORTER_OTLP_TIMEOUT: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** service.name of every span. Default darkroom-api or darkroom-worker. */
  OTEL_SERVICE_NAME: z.string().min(1).max(200).optional(),
  /** More resource attributes, e.g. `deployment.environment=prod`. */
  OTEL_RESOURCE_ATTRIBUTES: keyValueList('OTEL_RESOURCE_ATTRIBUTES').optional(),
  /** true: no traces even with an endpoint. Default false. */
  OTEL_SDK_DISABLED: flag.default(false),
  /** Which traces are kept. Default parentbased_always_on. */
  OTEL_TRACES_SAMPLER: z
    .enum([
      'always_on',
      'always_off',
      'traceidratio',
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
    ])
    .default('parentbased_always_on'),
  /** The ratio for the traceidratio samplers, 0..1. Default 1. */
  OTEL_TRACES_SAMPLER_ARG: ratio.default(1),
  /** How often finished spans are sent, in ms. Default 5000. */
  OTEL_BSP_SCHEDULE_DELAY: z.coerce.number().int().min(1).max(600_000).default(5000),
};

export const TelemetryEnv = z.object(TelemetryEnvShape);
export type TelemetryConfig = z.output<typeof TelemetryEnv>;

/** Where spans are sent, or null when traces are off. */
export function tracesEndpoint(config: TelemetryConfig): string | null {
  if (config.OTEL_SDK_DISABLED) return null;
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!config.OTEL_EXPORTER_OTLP_ENDPOINT) return null;
  return `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
}

/** A process's traces, started once however many apps (API, worker) it runs. */
export interface Telemetry {
  /** Sends the spans finished so far, within `timeoutMs` (default 5000). False when that ran out. */
  flush(timeoutMs?: number): Promise<boolean>;
  /**
   * This app is done with traces: sends what is left within `timeoutMs` (default 5000) and, for the
   * last app of the process, shuts the SDK down. False when the time ran out (spans were dropped).
   */
  shutdown(timeoutMs?: number): Promise<boolean>;
}

interface Shared {
  users: number;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

let shared: Promise<Shared> | null = null;

/**
 * Starts traces when the configuration names an endpoint; null (and nothing loaded, nothing created)
 * otherwise. One SDK per process: the first app to start names the service (the launcher's single
 * node runs API and worker together), later ones share it.
 */
export async function startTelemetry(
  config: TelemetryConfig,
  defaults: { serviceName: string; serviceVersion?: string },
): Promise<Telemetry | null> {
  const url = tracesEndpoint(config);
  if (!url) return null;
  shared ??= registerSdk(config, url, defaults);
  const sdk = await shared;
  sdk.users++;
  let done = false;
  return {
    flush: (timeoutMs = 5000) => within(sdk.flush(), timeoutMs),
    async shutdown(timeoutMs = 5000) {
      if (done) return true;
      done = true;
      if (--sdk.users > 0) return within(sdk.flush(), timeoutMs);
      shared = null;
      const ok = await within(sdk.shutdown(), timeoutMs);
      // The next start (a test, a restarted app in the same process) begins from a clean API.
      trace.disable();
      context.disable();
      propagation.disable();
      diag.disable();
      return ok;
    },
  };
}

async function registerSdk(
  config: TelemetryConfig,
  url: string,
  defaults: { serviceName: string; serviceVersion?: string },
): Promise<Shared> {
  const [{ NodeTracerProvider }, base, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
  ]);
  const exporterOptions = {
    url,
    headers: Object.fromEntries(
      Object.entries(config.OTEL_EXPORTER_OTLP_HEADERS ?? {}).map(([key, value]) => [key, value.reveal()]),
    ),
    timeoutMillis: config.OTEL_EXPORTER_OTLP_TIMEOUT,
  };
  const { OTLPTraceExporter } =
    config.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/json'
      ? await import('@opentelemetry/exporter-trace-otlp-http')
      : await import('@opentelemetry/exporter-trace-otlp-proto');
  const exporter = new OTLPTraceExporter(exporterOptions);
  const ratioSampler = new base.TraceIdRatioBasedSampler(config.OTEL_TRACES_SAMPLER_ARG);
  const roots = {
    always_on: new base.AlwaysOnSampler(),
    always_off: new base.AlwaysOffSampler(),
    traceidratio: ratioSampler,
  };
  const sampler =
    config.OTEL_TRACES_SAMPLER in roots
      ? roots[config.OTEL_TRACES_SAMPLER as keyof typeof roots]
      : new base.ParentBasedSampler({
          root: roots[config.OTEL_TRACES_SAMPLER.replace('parentbased_', '') as keyof typeof roots],
        });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      ...config.OTEL_RESOURCE_ATTRIBUTES,
      'service.name': config.OTEL_SERVICE_NAME ?? defaults.serviceName,
      ...(defaults.serviceVersion ? { 'service.version': defaults.serviceVersion } : {}),
    }),
    sampler,
    spanProcessors: [
      new base.BatchSpanProcessor(exporter, {
        scheduledDelayMillis: config.OTEL_BSP_SCHEDULE_DELAY,
        exportTimeoutMillis: config.OTEL_EXPORTER_OTLP_TIMEOUT,
      }),
    ],
  });
  // The global tracer provider, AsyncLocalStorage context and W3C trace-context propagator.
  provider.register();
  return { users: 0, flush: () => provider.forceFlush(), shutdown: () => provider.shutdown() };
}

/** Whether `work` settled within `ms`; it is not waited for beyond that (a collector that hangs). */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
