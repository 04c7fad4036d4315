import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { contextFromTraceParent, currentTraceParent, tracer, withContext, withSpan } from './index.js';
import { startTelemetry, TelemetryEnv, tracesEndpoint, type Telemetry } from './setup.js';
import { startOtlpReceiver, type OtlpReceiver } from './testing/index.js';

let receiver: OtlpReceiver | undefined;
let telemetry: Telemetry | null = null;
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = null;
  await receiver?.close();
  receiver = undefined;
});

const configFor = (env: Record<string, string>) => TelemetryEnv.parse(env);

describe('startTelemetry', () => {
  it('is off without an endpoint: nothing is created, nothing recorded, no traceparent', async () => {
    receiver = await startOtlpReceiver();
    telemetry = await startTelemetry(configFor({ OTEL_SERVICE_NAME: 'quiet' }), { serviceName: 'darkroom-test' });

    const parent = await withSpan('job.accept', {}, async (span) => {
      expect(span.isRecording()).toBe(false);
      return currentTraceParent();
    });

    expect(telemetry).toBeNull();
    expect(parent).toBeNull();
    expect(receiver.exports).toEqual([]);
  });

  it('exports nested spans over OTLP/JSON with the service name, and carries a traceparent across', async () => {
    receiver = await startOtlpReceiver();
    telemetry = await startTelemetry(
      configFor({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
      { serviceName: 'darkroom-test' },
    );

    const carried = await withSpan('outer', { attributes: { 'darkroom.job.id': 'j1' } }, async () =>
      withSpan('inner', {}, async () => currentTraceParent()),
    );
    // What a worker does with a job's stored traceparent: a span under it, in another "process".
    withContext(contextFromTraceParent(carried), () => tracer().startSpan('remote.child').end());
    await telemetry!.shutdown();
    telemetry = null;

    const spans = receiver.spans();
    const byName = Object.fromEntries(spans.map((span) => [span.name, span]));
    expect(Object.keys(byName).sort()).toEqual(['inner', 'outer', 'remote.child']);
    expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
    expect(byName.inner!.parentSpanId).toBe(byName.outer!.spanId);
    expect(byName['remote.child']!.parentSpanId).toBe(byName.inner!.spanId);
    expect(carried).toBe(`00-${byName.inner!.traceId}-${byName.inner!.spanId}-01`);
    expect(byName.outer!.attributes['darkroom.job.id']).toBe('j1');
    expect(byName.outer!.service).toBe('darkroom-test');
    expect(receiver.exports[0]!.path).toBe('/v1/traces');
  });

  it('speaks http/protobuf by default, with OTEL_EXPORTER_OTLP_HEADERS and OTEL_SERVICE_NAME', async () => {
    receiver = await startOtlpReceiver();
    telemetry = await startTelemetry(
      configFor({
        OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/`,
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20t0ken, x-tenant=darkroom',
        OTEL_SERVICE_NAME: 'renamed-service',
      }),
      { serviceName: 'darkroom-test' },
    );

    await withSpan('only.span', {}, async () => undefined);
    await telemetry!.shutdown();
    telemetry = null;

    expect(receiver.exports).toHaveLength(1);
    const [sent] = receiver.exports;
    expect(sent!.path).toBe('/v1/traces');
    expect(sent!.contentType).toBe('application/x-protobuf');
    expect(sent!.headers.authorization).toBe('Bearer t0ken');
    expect(sent!.headers['x-tenant']).toBe('darkroom');
    // Protobuf carries strings as they are.
    expect(sent!.body.includes('only.span')).toBe(true);
    expect(sent!.body.includes('renamed-service')).toBe(true);
  });

  it('gives up flushing within the bound when the collector never answers', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      telemetry = await startTelemetry(configFor({ OTEL_EXPORTER_OTLP_ENDPOINT: url }), { serviceName: 't' });
      await withSpan('stuck', {}, async () => undefined);

      const started = Date.now();
      const flushed = await telemetry!.shutdown(300);
      telemetry = null;

      expect(flushed).toBe(false);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});

describe('TelemetryEnv', () => {
  it('refuses malformed variables, naming each', () => {
    const result = TelemetryEnv.safeParse({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url',
      OTEL_EXPORTER_OTLP_HEADERS: 'novalue',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_TRACES_SAMPLER_ARG: '2',
    });

    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((issue) => issue.path.join('.')).sort();
    expect(paths).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_HEADERS',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_TRACES_SAMPLER_ARG',
    ]);
  });

  it('keeps the export headers out of the parsed configuration when printed', () => {
    const config = configFor({ OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20s3cr3t-collector-token' });

    expect(JSON.stringify(config)).not.toContain('s3cr3t');
    expect(config.OTEL_EXPORTER_OTLP_HEADERS!.authorization!.reveal()).toBe('Bearer s3cr3t-collector-token');
  });

  it('appends /v1/traces to the base endpoint; a traces endpoint is used as given; disabled wins', () => {
    expect(tracesEndpoint(configFor({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }))).toBe('http://c:4318/v1/traces');
    expect(
      tracesEndpoint(
        configFor({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/x' }),
      ),
    ).toBe('http://t/x');
    expect(
      tracesEndpoint(configFor({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })),
    ).toBeNull();
    expect(tracesEndpoint(configFor({}))).toBeNull();
  });
});
