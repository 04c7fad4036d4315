/**
 * /metrics in Prometheus's text format. Process-wide counters live in prom-client's default registry
 * (shared with an in-process worker); queue gauges are read from Postgres at scrape time, so every API
 * replica reports the same global queue.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Priority } from '@darkroom/core';
import type { Db } from '@darkroom/db';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, register, Registry } from 'prom-client';

/** Shared by name with the worker's module, which counts the jobs it ends. */
function sharedCounter<L extends string>(config: { name: string; help: string; labelNames: readonly L[] }): Counter<L> {
  return (register.getSingleMetric(config.name) as Counter<L> | undefined) ?? new Counter(config);
}

export const jobsCreated = new Counter({
  name: 'darkroom_jobs_created_total',
  help: 'Jobs accepted, by priority (idempotent repeats are not counted).',
  labelNames: ['priority'] as const,
});

export const jobsFinished = sharedCounter({
  name: 'darkroom_jobs_finished_total',
  help: 'Jobs that reached a terminal status, by status.',
  labelNames: ['status'] as const,
});

const httpDuration = new Histogram({
  name: 'darkroom_http_request_duration_seconds',
  help: 'HTTP requests by method, route and status code.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
});

/** Registers GET /metrics (behind `token` when given) and times every request. */
export function registerMetrics(app: FastifyInstance, { db, token }: { db: Db; token?: string | undefined }) {
  // Once per process, whichever of the API and the worker asks first.
  if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics();
  // This server's own registry: its gauges read this server's database.
  const queue = new Registry();
  new Gauge({
    name: 'darkroom_queue_depth',
    help: 'Queued jobs by priority.',
    labelNames: ['priority'] as const,
    registers: [queue],
    async collect() {
      const rows = await db.$queryRaw<
        { priority: Priority; n: bigint }[]
      >`select priority, count(*) as n from jobs where status = 'queued' group by priority`;
      this.reset();
      for (const priority of ['urgent', 'high', 'normal', 'low'] as const) {
        this.set({ priority }, Number(rows.find((row) => row.priority === priority)?.n ?? 0));
      }
    },
  });
  new Gauge({
    name: 'darkroom_jobs_running',
    help: 'Jobs a worker is running now.',
    registers: [queue],
    async collect() {
      const [row] = await db.$queryRaw<{ n: bigint }[]>`select count(*) as n from jobs where status = 'running'`;
      this.set(Number(row?.n ?? 0));
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', async (request, reply) => {
    if (token && !sameSecret(request.headers.authorization, `Bearer ${token}`)) {
      return reply.code(401).send({ error: { code: 'UNAUTHORIZED', message: 'send METRICS_TOKEN as a Bearer token' } });
    }
    const merged = Registry.merge([register, queue]);
    return reply.type(merged.contentType).send(await merged.metrics());
  });
}

/** Compares in time that does not depend on where the strings differ (hashes of equal length). */
function sameSecret(given: string | undefined, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return given !== undefined && timingSafeEqual(digest(given), digest(expected));
}
