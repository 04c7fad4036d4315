/**
 * A pool of self-hosted engine instances (one URL each, usually one GPU): every call leases an
 * instance, the least busy healthy one, and gives it back when done. An instance already running its
 * `concurrency` calls from this process gets no more (a GPU does one image at a time, and A1111 would
 * only hold a second request open behind its queue lock); an instance that did not answer is skipped
 * for `downForMs`, so one dead box does not fail every image sent its way.
 */
import { ProviderError } from '../errors.js';

export interface EnginePoolOptions {
  /** Names the engine in error messages. */
  engine: string;
  /** Base URLs, without a trailing slash. */
  urls: string[];
  /** Calls one instance runs at once from this process. Default 1. */
  concurrency?: number;
  /** How long an instance that did not answer is skipped, in ms. Default 30 000. */
  downForMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface EngineLease {
  readonly url: string;
  /** What the lease is for (the job id), shown in the admin view. */
  readonly tag: string | undefined;
  /** Gives the instance back; call exactly once. */
  release(): void;
}

export interface InstanceState {
  url: string;
  busy: number;
  /** Until when the instance is skipped (ms since epoch), or null when it is healthy. */
  downUntil: number | null;
  /** The tags (job ids) of its leases now. */
  tags: string[];
}

export interface EnginePool {
  /**
   * Leases the least busy healthy instance not in `exclude`, waiting (abortably) while all healthy ones
   * are full. When no instance outside `exclude` is healthy, fails at once with `transient`: waiting for
   * a dead box to come back is the retry policy's job, not the pool's.
   */
  acquire(signal?: AbortSignal, exclude?: ReadonlySet<string>, tag?: string): Promise<EngineLease>;
  /** Takes an instance out for `downForMs` (it refused a connection or did not answer). */
  markDown(url: string): void;
  /** Puts an instance back at once (a health check it answered). */
  markUp(url: string): void;
  /** Every instance with its load, for logs and the admin view. */
  states(): InstanceState[];
}

interface Instance {
  url: string;
  busy: number;
  downUntil: number;
  tags: (string | undefined)[];
}

export function makeEnginePool(options: EnginePoolOptions): EnginePool {
  const { engine, concurrency = 1, downForMs = 30_000, now = Date.now } = options;
  if (options.urls.length === 0) throw new Error(`${engine}: no instance URLs configured`);
  const instances: Instance[] = options.urls.map((url) => ({ url, busy: 0, downUntil: 0, tags: [] }));
  const waiters = new Set<() => void>();
  const wakeAll = () => {
    for (const wake of [...waiters]) wake();
  };

  function pick(exclude: ReadonlySet<string> | undefined): Instance | 'full' | 'none' {
    const at = now();
    const healthy = instances.filter((i) => i.downUntil <= at && !exclude?.has(i.url));
    if (healthy.length === 0) return 'none';
    const free = healthy.filter((i) => i.busy < concurrency);
    if (free.length === 0) return 'full';
    return free.reduce((best, i) => (i.busy < best.busy ? i : best));
  }

  function lease(instance: Instance, tag: string | undefined): EngineLease {
    instance.busy++;
    instance.tags.push(tag);
    let released = false;
    return {
      url: instance.url,
      tag,
      release() {
        if (released) return;
        released = true;
        instance.busy--;
        instance.tags.splice(instance.tags.indexOf(tag), 1);
        wakeAll();
      },
    };
  }

  async function acquire(signal?: AbortSignal, exclude?: ReadonlySet<string>, tag?: string): Promise<EngineLease> {
    for (;;) {
      if (signal?.aborted) throw new ProviderError('canceled', `${engine}: the request was canceled`);
      const choice = pick(exclude);
      if (choice === 'none')
        throw new ProviderError('transient', `${engine}: no instance is reachable (${describe()})`);
      if (choice !== 'full') return lease(choice, tag);
      // All healthy instances are full: wait for a release, an abort, or a down instance coming back.
      await new Promise<void>((resolve) => {
        const done = () => {
          waiters.delete(done);
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(downForMs, 1000));
        waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  function describe() {
    const at = now();
    return instances.map((i) => `${i.url} ${i.downUntil > at ? 'down' : `busy ${i.busy}`}`).join(', ');
  }

  return {
    acquire,
    markDown(url) {
      const instance = instances.find((i) => i.url === url);
      if (instance) instance.downUntil = now() + downForMs;
      wakeAll();
    },
    markUp(url) {
      const instance = instances.find((i) => i.url === url);
      if (instance) instance.downUntil = 0;
      wakeAll();
    },
    states: () =>
      instances.map((i) => ({
        url: i.url,
        busy: i.busy,
        downUntil: i.downUntil > now() ? i.downUntil : null,
        tags: i.tags.filter((tag): tag is string => tag !== undefined),
      })),
  };
}

/**
 * Whether an error says the instance itself is gone (connection refused or reset), not the request. A
 * timeout is not: a slow GPU is still a working one.
 */
export function instanceUnreachable(error: unknown): boolean {
  return error instanceof ProviderError && error.code === 'transient' && error.message.includes('no usable answer');
}
