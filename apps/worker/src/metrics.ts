/**
 * What a worker process counts for Prometheus. The metrics live in prom-client's default registry, so
 * a single-process Darkroom (`npm start`) shows them on the API's /metrics, and a worker on its own
 * serves them itself (`WORKER_METRICS_PORT`).
 */
import http from 'node:http';
import { collectDefaultMetrics, Counter, Histogram, register } from 'prom-client';

/**
 * The API counts the jobs it ends itself (cancel of a queued job) under the same name; in one process
 * both share one counter.
 */
function sharedCounter<L extends string>(config: { name: string; help: string; labelNames: readonly L[] }): Counter<L> {
  return (register.getSingleMetric(config.name) as Counter<L> | undefined) ?? new Counter(config);
}

const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export const jobsFinished = sharedCounter({
  name: 'darkroom_jobs_finished_total',
  help: 'Jobs that reached a terminal status, by status.',
  labelNames: ['status'] as const,
});

export const jobDuration = new Histogram({
  name: 'darkroom_job_duration_seconds',
  help: "From a job's start to its end, by final status.",
  labelNames: ['status'] as const,
  buckets: SECONDS,
});

export const imageDuration = new Histogram({
  name: 'darkroom_image_duration_seconds',
  help: "From an image attempt's start to its stored bytes, for stored images, by provider.",
  labelNames: ['provider'] as const,
  buckets: SECONDS,
});

export const providerRequests = new Counter({
  name: 'darkroom_provider_requests_total',
  help: "Provider calls by provider and outcome (ok, or the error taxonomy's code).",
  labelNames: ['provider', 'outcome'] as const,
});

export const providerLatency = new Histogram({
  name: 'darkroom_provider_latency_seconds',
  help: 'How long provider calls took, whatever their outcome, by provider.',
  labelNames: ['provider'] as const,
  buckets: SECONDS,
});

/** Process metrics (CPU, memory, event loop); once per process, however many workers it runs. */
export function collectProcessMetrics() {
  // Once per process, whichever of the API and the worker asks first.
  if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics();
}

/** Serves the process's metrics at /metrics on `port` (127.0.0.1 unless `host` says otherwise). */
export async function serveMetrics(port: number, host = '127.0.0.1'): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    register.metrics().then(
      (body) => response.writeHead(200, { 'content-type': register.contentType }).end(body),
      (error: unknown) => response.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}
