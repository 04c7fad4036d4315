/**
 * Fault: an API process dies (kill -9) while clients follow their jobs on it through a load balancer.
 * The clients' live streams break; they fall back to polling, which the balancer sends to the API still
 * standing, and every wait ends with the job's final state. Nothing a client saw was a 5xx.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDarkroomClient } from '@darkroom/client';
import type { JobView } from '@darkroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpForApiKey, startStack, type Stack } from '../stack.js';
import { exited, invariantViolations, processes, type Processes } from './cluster.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-faults-api-'));
let stack: Stack;
let cluster: Processes;
beforeAll(async () => {
  stack = await startStack(dataDir, {
    STARTING_CREDITS: '100000',
    MOCK_LATENCY_MS: '300-600',
    IMAGE_CONCURRENCY: '1',
    WORKER_CONCURRENCY: '4',
  });
  cluster = processes(stack);
});
afterAll(async () => {
  cluster?.killAll();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * A load balancer on 127.0.0.1: sends each request to the first upstream that answers, in order, and
 * records every status it passed back. Streams (SSE) are piped through as they come.
 */
async function loadBalancer(upstreams: () => string[]) {
  const statuses: number[] = [];
  const forward = async (request: http.IncomingMessage, response: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    for (const upstream of upstreams()) {
      const forwarded = await new Promise<boolean>((resolve) => {
        const outgoing = http.request(
          new URL(request.url!, upstream),
          { method: request.method, headers: request.headers },
          (incoming) => {
            statuses.push(incoming.statusCode!);
            response.writeHead(incoming.statusCode!, incoming.headers);
            incoming.pipe(response);
            incoming.on('error', () => response.destroy());
            resolve(true);
          },
        );
        outgoing.on('error', () => resolve(false));
        outgoing.end(Buffer.concat(chunks));
      });
      if (forwarded) return;
    }
    response.writeHead(502).end();
  };
  const server = http.createServer((request, response) => {
    // `void`: a request that fails here ends as a dropped connection, which the clients under test must survive.
    void forward(request, response).catch((error: unknown) => response.destroy(error as Error));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    statuses,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('an API process killed while clients are subscribed', () => {
  it('lets every client finish waiting through the API still standing', async () => {
    const doomed = await cluster.api();
    const upstreams = [doomed.url, stack.url];
    const balancer = await loadBalancer(() => upstreams);
    try {
      const apiKey = await signUpForApiKey(stack.url, 'followers@example.com');
      const clients = Array.from({ length: 8 }, () => createDarkroomClient({ url: balancer.url, apiKey }));
      const jobs = await Promise.all(
        clients.map((client, i) => client.submit({ prompt: `followed ${i}`, numImages: 4, provider: 'mock' })),
      );
      const seen = new Map<string, JobView[]>();
      const waits = jobs.map((job, i) =>
        clients[i]!.wait(job.id, {
          backoff: { initialMs: 100, maxMs: 500 },
          onProgress: (view) => seen.set(job.id, [...(seen.get(job.id) ?? []), view]),
        }),
      );
      // Every client is following live through the doomed API before it dies.
      await new Promise((resolve) => setTimeout(resolve, 800));
      doomed.child.kill('SIGKILL');
      await exited(doomed.child);

      const finished = await Promise.all(waits);

      expect(finished.map((view) => view.status)).toEqual(jobs.map(() => 'succeeded'));
      expect(finished.every((view) => view.counts.succeeded === 4)).toBe(true);
      expect(balancer.statuses.filter((status) => status >= 500)).toEqual([]);
      expect(
        await invariantViolations(
          stack,
          jobs.map((job) => job.id),
        ),
      ).toEqual([]);
    } finally {
      await balancer.close();
    }
  });
});
