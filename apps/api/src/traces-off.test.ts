import { createRequire } from 'node:module';
import { withSpan } from '@darkroom/telemetry';
import { startOtlpReceiver, type OtlpReceiver } from '@darkroom/telemetry/testing';
import type { RunningWorker } from '@darkroom/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../test/harness.js';
import { loadApiConfig } from './env.js';
import { startApi, type RunningApi } from './start.js';

// Traces are off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: the other OTEL_* variables alone start
// nothing. (Its own file: the SDK, once loaded by traces.test.ts, would stay in the module cache.)
let h: Harness;
let receiver: OtlpReceiver;
let api: RunningApi;
let worker: RunningWorker;
const otelWithoutEndpoint = {
  OTEL_SERVICE_NAME: 'darkroom-quiet',
  OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20nope',
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_BSP_SCHEDULE_DELAY: '20',
};

beforeAll(async () => {
  h = await makeHarness();
  receiver = await startOtlpReceiver();
  api = await startApi(
    loadApiConfig({
      DATABASE_URL: h.url,
      STORAGE_DIR: h.storageDir,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      ...otelWithoutEndpoint,
    }),
  );
  worker = await h.startWorker(otelWithoutEndpoint);
});
afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await h?.close();
  await receiver?.close();
});

it('exports nothing, loads no SDK or exporter, and stores no traceparent without an endpoint', async () => {
  const response = await fetch(`${api.url}/api/v1/generations`, {
    method: 'POST',
    headers: { ...h.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'a quiet harbour', numImages: 1, provider: 'local' }),
  });
  expect(response.status).toBe(202);
  const { jobId } = (await response.json()) as { jobId: string };
  await eventually(async () => {
    const job = await h.db.job.findUnique({ where: { id: jobId }, select: { status: true } });
    return job?.status === 'succeeded';
  });
  // Longer than the batch delay a started SDK would have waited before sending.
  await new Promise((resolve) => setTimeout(resolve, 300));

  const loaded = Object.keys(createRequire(import.meta.url).cache).filter((file) =>
    /@opentelemetry[/+](sdk-trace|exporter-trace|otlp-|resources)/.test(file),
  );
  expect(loaded).toEqual([]);
  const row = await h.db.job.findUnique({ where: { id: jobId }, select: { traceParent: true } });
  expect(row!.traceParent).toBeNull();
  expect(receiver.exports).toEqual([]);
  expect(await withSpan('probe', {}, async (span) => span.isRecording())).toBe(false);
});
