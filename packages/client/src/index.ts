/**
 * The typed Darkroom client: the tRPC client for every procedure, plus helpers to submit a job and
 * follow it until it ends.
 *
 *   const darkroom = createDarkroomClient({ url: 'http://127.0.0.1:3000' });
 *   const job = await darkroom.generate({ prompt: 'a friendly dragon', numImages: 4 });
 *   const photo = await darkroom.upload(readFileSync('shoe.jpg'));
 *   const edit = await darkroom.generate({ prompt: 'on a beach', inputs: { image: photo.id } });
 */
import type { AppRouter } from '@darkroom/api';
import { isTerminalStatus, pollDelay, type BackoffOptions, type JobRequestInput, type JobView } from '@darkroom/core';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { EventSource as EventSourcePolyfill } from 'eventsource';
import { watchPreviews, type PreviewListener } from './previews.js';
import { makeUpload } from './upload.js';

export interface DarkroomClientOptions {
  /** Where Darkroom answers, e.g. http://127.0.0.1:3000 (no trailing /trpc). */
  url: string;
  /** A Darkroom API key (`dk_...`, create one in the web app or with `apiKeys.create`), sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** A fetch implementation; default globalThis.fetch. */
  fetch?: typeof fetch;
  /** What to do when Darkroom answers 429 Too Many Requests. */
  rateLimit?: RateLimitOptions;
}

export interface RateLimitOptions {
  /** Times one request is sent again after a 429, waiting its Retry-After each time. Default 3; 0 surfaces the 429 at once. */
  retries?: number;
  /** A Retry-After longer than this (ms) is not waited for; the 429 surfaces as TOO_MANY_REQUESTS. Default 60000. */
  maxWaitMs?: number;
}

type Sse = typeof EventSourcePolyfill;

export interface WaitOptions {
  signal?: AbortSignal;
  /** Called with every new state of the job. */
  onProgress?: (job: JobView) => void;
  /**
   * Called once for each new preview of a running image (engines that make them: ComfyUI, A1111, OpenAI's
   * partial images, `local`'s passes), with its step and its bytes on request. Previews seen depend on how
   * often views arrive: every one over the live stream, fewer when polling.
   */
  onPreview?: PreviewListener;
  /** Give up after this long (ms). Default: wait as long as it takes. */
  timeoutMs?: number;
  /**
   * Polling backoff, used when the live stream is unavailable: `initialMs` (default 1000), growing by
   * `factor` (default 1.2) per poll up to `maxMs` (default 5000).
   */
  backoff?: BackoffOptions;
  /** Follow the job over its live stream (SSE) first. Default true; false polls from the start. */
  live?: boolean;
}

export function createDarkroomClient({ url, apiKey, fetch: givenFetch, rateLimit = {} }: DarkroomClientOptions) {
  const base = `${url.replace(/\/$/, '')}/trpc`;
  const fetchImpl = honourRetryAfter(givenFetch ?? ((input, init) => globalThis.fetch(input, init)), rateLimit);
  const headers = (): Record<string, string> => (apiKey ? { authorization: `Bearer ${apiKey}` } : {});
  // Browsers have EventSource, but it cannot send an API key; the polyfill (fetch-based) can.
  const NativeEventSource = (globalThis as unknown as { EventSource?: Sse }).EventSource;
  const useNative = NativeEventSource !== undefined && !apiKey && !givenFetch;
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
                    fetchImpl(input, {
                      ...init,
                      headers: { ...(init.headers as Record<string, string>), ...headers() },
                    }),
                },
              }),
        }),
        // The server takes at most TRPC_MAX_BATCH_SIZE (default 10) calls per batch.
        false: httpBatchLink({ url: base, headers, fetch: fetchImpl, maxItems: 10 }),
      }),
    ],
  });

  /** Accepts at once; the job is queued. */
  const submit = (request: JobRequestInput) => trpc.jobs.create.mutate(request);

  /** What `submit(request)` would cost and when it would run, without submitting it. */
  const quote = (request: JobRequestInput) => trpc.jobs.quote.mutate(request);

  /**
   * Resolves with the job once it is succeeded, failed or canceled: over the live stream while it is
   * available, then by polling with backoff (a proxy that drops SSE, an API without it).
   */
  async function wait(jobId: string, options: WaitOptions = {}): Promise<JobView> {
    const { timeoutMs, live = true, onPreview, onProgress } = options;
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    const previews = onPreview ? watchPreviews({ url, fetchImpl, headers, onPreview }) : null;
    const following: WaitOptions = previews
      ? {
          ...options,
          onProgress: (job) => {
            onProgress?.(job);
            previews.see(job);
          },
        }
      : options;
    const done =
      (live ? await followLive(jobId, following, deadline) : null) ?? (await poll(jobId, following, deadline));
    await previews?.settle();
    return done;
  }

  /** The job's terminal view from its live stream, or null as soon as the stream is unavailable. */
  function followLive(
    jobId: string,
    { signal, onProgress, timeoutMs }: WaitOptions,
    deadline: number,
  ): Promise<JobView | null> {
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
          : setTimeout(
              () => finish(() => reject(new WaitTimeout(jobId, timeoutMs))),
              Math.max(0, deadline - Date.now()),
            );
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

  async function poll(
    jobId: string,
    { signal, onProgress, timeoutMs, backoff }: WaitOptions,
    deadline: number,
  ): Promise<JobView> {
    let lastProgress = -1;
    let polls = 0;
    for (;;) {
      signal?.throwIfAborted();
      // The deadline bounds each request too, including a wait for Retry-After inside it.
      const timeout = deadline === Infinity ? undefined : AbortSignal.timeout(Math.max(0, deadline - Date.now()));
      const requestSignal = timeout && signal ? AbortSignal.any([signal, timeout]) : (timeout ?? signal);
      const job = await trpc.jobs.get
        .query({ id: jobId }, requestSignal ? { signal: requestSignal } : {})
        .catch((error: unknown) => {
          // An abort mid-request surfaces as the caller's own reason, as it does between requests.
          if (signal?.aborted) throw signal.reason;
          if (timeout?.aborted) throw new WaitTimeout(jobId, timeoutMs);
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
      if (Date.now() + delay > deadline) throw new WaitTimeout(jobId, timeoutMs);
      await sleep(delay, signal);
    }
  }

  /** Submit, then wait. */
  async function generate(request: JobRequestInput, options?: WaitOptions): Promise<JobView> {
    const job = await submit(request);
    return wait(job.id, options);
  }

  /** An image into the caller's assets (multipart POST /api/v1/assets); name its id in a job's inputs. */
  const upload = makeUpload({ url, fetchImpl, headers });

  return { trpc, submit, quote, wait, generate, upload };
}

export type DarkroomClient = ReturnType<typeof createDarkroomClient>;

/** `wait()` (or `generate()`) gave up after `timeoutMs`; the job goes on. */
export class WaitTimeout extends Error {
  override readonly name = 'WaitTimeout';
  constructor(
    readonly jobId: string,
    readonly timeoutMs: number | undefined,
  ) {
    super(`job ${jobId} did not finish within ${timeoutMs} ms`);
  }
}

/**
 * A fetch that answers a 429 by waiting its Retry-After (seconds or an HTTP date) and sending the
 * request again, up to `retries` times, never longer than `maxWaitMs` per wait, and stopping when the
 * request's own signal aborts. Darkroom refused the request, so sending it again cannot duplicate it.
 */
export function honourRetryAfter(
  inner: typeof fetch,
  { retries = 3, maxWaitMs = 60_000 }: RateLimitOptions = {},
): typeof fetch {
  return async (input, init) => {
    for (let attempt = 0; ; attempt++) {
      const response = await inner(input, init);
      if (response.status !== 429 || attempt >= retries) return response;
      const waitMs = retryAfterMs(response.headers.get('retry-after'));
      if (waitMs === null || waitMs > maxWaitMs) return response;
      await response.body?.cancel();
      await sleep(waitMs, init?.signal ?? undefined);
    }
  };
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(header: string | null): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

function sleep(ms: number, signal?: AbortSignal) {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
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

export type { UploadBody, UploadOptions } from './upload.js';
export type { ImagePreview, PreviewListener } from './previews.js';
export { darkroomErrorOf, type DarkroomError, type DarkroomErrorCode, type FieldIssue } from './errors.js';
