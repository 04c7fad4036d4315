/**
 * The typed Darkroom client: the tRPC client for every procedure, plus helpers to submit a job and
 * follow it until it ends.
 *
 *   const darkroom = createDarkroomClient({ url: 'http://127.0.0.1:3000' });
 *   const job = await darkroom.generate({ prompt: 'a friendly dragon', numImages: 4 });
 */
import type { AppRouter } from '@darkroom/api';
import { isTerminalStatus, pollDelay, type BackoffOptions, type JobRequestInput, type JobView } from '@darkroom/core';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { EventSource as EventSourcePolyfill } from 'eventsource';

export interface DarkroomClientOptions {
  /** Where Darkroom answers, e.g. http://127.0.0.1:3000 (no trailing /trpc). */
  url: string;
  /** A Darkroom API key (`dk_...`, create one in the web app or with `apiKeys.create`), sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** A fetch implementation; default globalThis.fetch. */
  fetch?: typeof fetch;
}

type Sse = typeof EventSourcePolyfill;

export interface WaitOptions {
  signal?: AbortSignal;
  /** Called with every new state of the job. */
  onProgress?: (job: JobView) => void;
  /** Give up after this long (ms). Default: wait as long as it takes. */
  timeoutMs?: number;
  /** Polling backoff, used when the live stream is unavailable; default 1 s growing x1.2 to 5 s. */
  backoff?: BackoffOptions;
  /** Follow the job over its live stream (SSE) first. Default true; false polls from the start. */
  live?: boolean;
}

export function createDarkroomClient({ url, apiKey, fetch: fetchImpl }: DarkroomClientOptions) {
  const base = `${url.replace(/\/$/, '')}/trpc`;
  const headers = (): Record<string, string> => (apiKey ? { authorization: `Bearer ${apiKey}` } : {});
  // Browsers have EventSource, but it cannot send an API key; the polyfill (fetch-based) can.
  const NativeEventSource = (globalThis as unknown as { EventSource?: Sse }).EventSource;
  const useNative = NativeEventSource !== undefined && !apiKey && !fetchImpl;
  const trpc = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: base,
          EventSource: useNative ? NativeEventSource : EventSourcePolyfill,
          ...(useNative
            ? {}
            : {
                eventSourceOptions: {
                  fetch: (input: string | URL, init: RequestInit = {}) =>
                    (fetchImpl ?? fetch)(input, { ...init, headers: { ...(init.headers as Record<string, string>), ...headers() } }),
                },
              }),
        }),
        false: httpBatchLink({ url: base, headers, ...(fetchImpl ? { fetch: fetchImpl } : {}) }),
      }),
    ],
  });

  /** Accepts at once; the job is queued. */
  const submit = (request: JobRequestInput) => trpc.jobs.create.mutate(request);

  /**
   * Resolves with the job once it is succeeded, failed or canceled: over the live stream while it is
   * available, then by polling with backoff (a proxy that drops SSE, an API without it).
   */
  async function wait(jobId: string, options: WaitOptions = {}): Promise<JobView> {
    const { timeoutMs, live = true } = options;
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    if (live) {
      const done = await followLive(jobId, options, deadline);
      if (done) return done;
    }
    return poll(jobId, options, deadline);
  }

  /** The job's terminal view from its live stream, or null as soon as the stream is unavailable. */
  function followLive(jobId: string, { signal, onProgress, timeoutMs }: WaitOptions, deadline: number): Promise<JobView | null> {
    return new Promise<JobView | null>((resolve, reject) => {
      let settled = false;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        subscription.unsubscribe();
        outcome();
      };
      const onAbort = () => finish(() => reject(signal!.reason));
      const timer =
        deadline === Infinity
          ? undefined
          : setTimeout(() => finish(() => reject(new Error(`job ${jobId} did not finish within ${timeoutMs} ms`))), Math.max(0, deadline - Date.now()));
      const subscription = trpc.jobs.onUpdate.subscribe(
        { id: jobId },
        {
          onData: ({ data: job }) => {
            if (settled) return;
            onProgress?.(job);
            if (isTerminalStatus(job.status)) finish(() => resolve(job));
          },
          onError: (error) => {
            // The server answered (NOT_FOUND, UNAUTHORIZED): polling would hear the same.
            if (error.data?.code) finish(() => reject(error));
            else finish(() => resolve(null));
          },
          onConnectionStateChange: (state) => {
            // The stream failed to connect (or dropped): fall back to polling rather than retry blind.
            if (state.state === 'connecting' && state.error) finish(() => resolve(null));
          },
        },
      );
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async function poll(jobId: string, { signal, onProgress, timeoutMs, backoff }: WaitOptions, deadline: number): Promise<JobView> {
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
