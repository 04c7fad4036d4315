// Status reads: `jobs.get` over HTTP with an API key, 64 connections for 20 s (autocannon), against
// the API as its own process; beside it, in the same run, a bare Node `http` server
// (bare-status-server.mjs, also its own process) that runs the same SQL through `pg` and answers the
// same JSON (checked equal before the load). The job read is a finished one-image job.
// Target: Darkroom's requests/s >= 60% of the bare server's.
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import autocannon from 'autocannon';
import { signUpForKey, startStack, stopChild, trpc, waitFor } from './support.mjs';

const CONNECTIONS = 64;
const DURATION_S = 20;
const WARMUP_S = 2;

export async function statusScenario() {
  const stack = await startStack('status');
  try {
    const api = await stack.startApi();
    const worker = await stack.startWorker({ MOCK_LATENCY_MS: '0', POLL_INTERVAL_MS: '100' });
    const apiKey = await signUpForKey(api.url, 'status@bench.example');
    const job = await trpc(api.url, apiKey, 'jobs.create', { prompt: 'a status read', provider: 'mock', numImages: 1 });
    await waitFor(
      async () => (await trpc(api.url, apiKey, 'jobs.get', { id: job.id }, { method: 'GET' })).status === 'succeeded',
    );
    await stopChild(worker); // nothing runs during the reads

    const bare = await stack.startProcess('bench/src/bare-status-server.mjs', {}, /listening on (http:\/\/\S+)/);
    const bareUrl = bare.match[1];
    const path = `/trpc/jobs.get?input=${encodeURIComponent(JSON.stringify({ id: job.id }))}`;
    const headers = { authorization: `Bearer ${apiKey}` };
    const [fromApi, fromBare] = await Promise.all(
      [api.url, bareUrl].map(async (base) => (await fetch(base + path, { headers })).json()),
    );
    if (!isDeepStrictEqual(fromApi, fromBare)) {
      throw new Error(
        `the bare server's answer differs from Darkroom's:\n${JSON.stringify(fromApi)}\n${JSON.stringify(fromBare)}`,
      );
    }

    const load = async (base, pid) => {
      await cannon({ url: base + path, headers, connections: CONNECTIONS, duration: WARMUP_S });
      const cpuBefore = cpuMs(pid);
      const result = await cannon({ url: base + path, headers, connections: CONNECTIONS, duration: DURATION_S });
      const cpu = cpuMs(pid) - cpuBefore;
      return {
        requestsPerSecond: Math.round(result.requests.average),
        // The server's own CPU per answered read: on a shared machine, steadier than requests/s.
        cpuMsPerRequest: Number((cpu / Math.max(1, result.requests.total)).toFixed(3)),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        requests: result.requests.total,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
      };
    };
    // The baseline first, then Darkroom, each after its own warm-up.
    const bareResult = await load(bareUrl, bare.child.pid);
    const darkroom = await load(api.url, api.child.pid);
    const ratio = darkroom.requestsPerSecond / bareResult.requestsPerSecond;
    const cpuRatio = bareResult.cpuMsPerRequest / darkroom.cpuMsPerRequest;
    return {
      [`jobs.get, ${CONNECTIONS} connections, ${DURATION_S} s`]: [
        { server: 'Darkroom API (Fastify + tRPC + Prisma)', ...darkroom },
        { server: 'baseline: bare node:http + pg, same SQL, same JSON', ...bareResult },
      ],
      target: {
        darkroomOverBaseline: `${Math.round(ratio * 100)} %`,
        // The baseline's CPU per read over Darkroom's: what the throughput ratio is on a quiet machine,
        // where each server is bound by its one JavaScript thread.
        cpuPerReadRatio: `${Math.round(cpuRatio * 100)} %`,
        target: '>= 60 %',
        met: ratio >= 0.6,
      },
    };
  } finally {
    await stack.stop();
  }
}

/** User + system CPU time of a process so far, in ms (Linux; clock ticks of 10 ms). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function cannon(options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}
