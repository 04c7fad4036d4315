/**
 * The typed Darkroom client: the tRPC client for every procedure, plus helpers to submit a job and
 * follow it until it ends.
 *
 *   const darkroom = createDarkroomClient({ url: 'http://127.0.0.1:3000' });
 *   const job = await darkroom.generate({ prompt: 'a friendly dragon', numImages: 4 });
 */
import type { AppRouter } from '@darkroom/api';
import { isTerminalStatus, pollDelay, type BackoffOptions, type JobRequestInput, type JobView } from '@darkroom/core';
import { createTRPCClient, httpBatchLink } from '@trpc/client';

export interface DarkroomClientOptions {
  /** Where Darkroom answers, e.g. http://127.0.0.1:3000 (no trailing /trpc). */
  url: string;
  /** A Darkroom API key (`dk_...`, create one in the web app or with `apiKeys.create`), sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** A fetch implementation; default globalThis.fetch. */
  fetch?: typeof fetch;
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** Called with every new state of the job. */
  onProgress?: (job: JobView) => void;
  /** Give up after this long (ms). Default: wait as long as it takes. */
  timeoutMs?: number;
  /** Polling backoff; default 1 s growing x1.2 to 5 s. */
  backoff?: BackoffOptions;
}

export function createDarkroomClient({ url, apiKey, fetch: fetchImpl }: DarkroomClientOptions) {
  const trpc = createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${url.replace(/\/$/, '')}/trpc`,
        headers: () => (apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        ...(fetchImpl ? { fetch: fetchImpl } : {}),
      }),
    ],
  });

  /** Accepts at once; the job is queued. */
  const submit = (request: JobRequestInput) => trpc.jobs.create.mutate(request);

  /** Resolves with the job once it is succeeded, failed or canceled. */
  async function wait(jobId: string, { signal, onProgress, timeoutMs, backoff }: WaitOptions = {}): Promise<JobView> {
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    let lastProgress = -1;
    let polls = 0;
    for (;;) {
      signal?.throwIfAborted();
      const job = await trpc.jobs.get.query({ id: jobId }, signal ? { signal } : {}).catch((error: unknown) => {
        // An abort mid-request surfaces as the caller's own reason, as it does between requests.
        if (signal?.aborted) throw signal.reason;
        throw error;
      });
      if (job.progress !== lastProgress) {
        // A job that moves is followed closely again.
        polls = 0;
        lastProgress = job.progress;
      }
      onProgress?.(job);
      if (isTerminalStatus(job.status)) return job;
      const delay = pollDelay(polls++, backoff);
      if (Date.now() + delay > deadline) throw new Error(`job ${jobId} did not finish within ${timeoutMs} ms`);
      await sleep(delay, signal);
    }
  }

  /** Submit, then wait. */
  async function generate(request: JobRequestInput, options?: WaitOptions): Promise<JobView> {
    const job = await submit(request);
    return wait(job.id, options);
  }

  return { trpc, submit, wait, generate };
}

export type DarkroomClient = ReturnType<typeof createDarkroomClient>;

function sleep(ms: number, signal?: AbortSignal) {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
