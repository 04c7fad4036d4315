/**
 * Limits on calls to each provider that hold across EVERY worker process: how many calls may be in
 * flight at once (slots leased from the `provider_leases` table) and how many may start per minute
 * (rate-limiter-flexible on Postgres). A process waiting for a slot is woken by a NOTIFY when one is
 * released anywhere, and looks again every `pollMs` in case a holder died without releasing.
 */
import { ProviderError } from '@darkroom/providers';
import pg from 'pg';
import type { Logger } from 'pino';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { WaitLine } from './wait-line.js';

const CHANNEL = 'darkroom_provider_slot';

export interface ProviderLimits {
  /** Calls in flight at once, across all workers. */
  concurrency: number;
  /** Calls started per minute, across all workers; 0 = no limit. */
  requestsPerMinute: number;
}

export interface ProviderGateOptions {
  databaseUrl: string;
  workerId: string;
  limitsFor: (provider: string) => ProviderLimits;
  /**
   * A slot whose holder vanished is free again after this long, in ms. Default 10 minutes. A live holder
   * renews its lease every quarter of this while its call runs.
   */
  leaseMs?: number;
  /** How often a waiter looks again without a notification, in ms. Default 250. */
  pollMs?: number;
  log: Logger;
}

export interface ProviderGate {
  /** Runs `call` holding one of `provider`'s slots, once its rate allows; aborting stops the wait. */
  withSlot<T>(provider: string, signal: AbortSignal, call: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function makeProviderGate(options: ProviderGateOptions): Promise<ProviderGate> {
  const { workerId, limitsFor, leaseMs = 600_000, pollMs = 250, log } = options;
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 4 });
  pool.on('error', (error) => log.warn({ err: error }, 'provider gate pool error'));
  const listener = new pg.Client({ connectionString: options.databaseUrl });
  listener.on('error', (error) => log.warn({ err: error }, 'provider gate listener error'));
  await listener.connect();
  await listener.query(`listen ${CHANNEL}`);
  const lines = new Map<string, WaitLine>();
  const lineOf = (provider: string) => {
    let line = lines.get(provider);
    if (!line) lines.set(provider, (line = new WaitLine(pollMs)));
    return line;
  };
  // One released slot wakes one waiter (the longest waiting), not all of them: with 32 waiters a wake
  // of every one cost 32 statements per release and starved the releases themselves of connections.
  listener.on('notification', (message) => lines.get(message.payload ?? '')?.wakeFirst());

  const prepared = new Map<string, Promise<void>>();
  const ensureSlots = (provider: string, count: number) => {
    const key = `${provider}:${count}`;
    let ready = prepared.get(key);
    if (!ready) {
      ready = pool
        .query(
          'insert into provider_leases (provider, slot) select $1, g from generate_series(0, $2 - 1) g on conflict do nothing',
          [provider, count],
        )
        .then(() => undefined);
      prepared.set(key, ready);
    }
    return ready;
  };

  const limiters = new Map<string, RateLimiterPostgres>();
  const limiterFor = (provider: string, perMinute: number) => {
    let limiter = limiters.get(provider);
    if (!limiter) {
      // Spread the minute's budget over seconds so a limit of 600/min does not allow 600 in the first second.
      const perSecond = perMinute >= 60;
      limiter = new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        tableName: 'rate_limits',
        tableCreated: true,
        keyPrefix: 'provider-rpm',
        points: perSecond ? Math.floor(perMinute / 60) : 1,
        duration: perSecond ? 1 : Math.ceil(60 / perMinute),
      });
      limiters.set(provider, limiter);
    }
    return limiter;
  };

  /**
   * Takes a free slot, if there is one, and answers whether more looked free (the statement's snapshot,
   * before its own take): then the next waiter is worth waking at once rather than at the next release.
   */
  async function tryAcquire(provider: string, concurrency: number): Promise<{ slot: number | null; more: boolean }> {
    const { rows } = await pool.query<{ slot: number | null; free: number }>(
      `with taken as (
         update provider_leases set holder = $3, acquired_at = now(), expires_at = now() + make_interval(secs => $4::float8 / 1000)
         where (provider, slot) = (
           select provider, slot from provider_leases
           where provider = $1 and slot < $2 and (holder is null or expires_at < now())
           order by slot limit 1 for update skip locked)
         returning slot)
       select (select slot from taken) as slot,
         (select count(*) from provider_leases where provider = $1 and slot < $2 and (holder is null or expires_at < now()))::int as free`,
      [provider, concurrency, workerId, leaseMs],
    );
    const slot = rows[0]?.slot ?? null;
    return { slot, more: (rows[0]?.free ?? 0) > (slot === null ? 0 : 1) };
  }

  /** A slot of `provider`, in the order callers asked in this process; aborting stops the wait. */
  async function acquire(provider: string, concurrency: number, signal: AbortSignal): Promise<number> {
    const line = lineOf(provider);
    const place = line.join(signal);
    try {
      // The first in line looks at once; the others when a release (or a take that saw more free) wakes them.
      let look = line.isFirst(place);
      for (;;) {
        if (!look) await place.turn();
        look = false;
        const got = await tryAcquire(provider, concurrency);
        if (got.slot !== null) {
          line.leave(place);
          if (got.more) line.wakeFirst();
          return got.slot;
        }
      }
    } finally {
      line.leave(place);
    }
  }

  async function waitForRate(provider: string, perMinute: number, signal: AbortSignal) {
    if (perMinute <= 0) return;
    const limiter = limiterFor(provider, perMinute);
    for (;;) {
      try {
        await limiter.consume(provider);
        return;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        await abortableSleep(rejection.msBeforeNext + Math.random() * 20, signal);
      }
    }
  }

  return {
    async withSlot(provider, signal, call) {
      const { concurrency, requestsPerMinute } = limitsFor(provider);
      await ensureSlots(provider, concurrency);
      await waitForRate(provider, requestsPerMinute, signal);
      const slot = await acquire(provider, concurrency, signal);
      // Renewed while held: a vendor call may outlast the lease, and a lease that lapsed under a live
      // call would let another worker take the slot (two calls in flight where one is allowed). The
      // lease only lapses when its holder stops renewing: it died, or lost the database.
      const held = slot;
      const renewal = setInterval(() => {
        pool
          .query(
            `update provider_leases set expires_at = now() + make_interval(secs => $4::float8 / 1000) where provider = $1 and slot = $2 and holder = $3`,
            [provider, held, workerId, leaseMs],
          )
          .catch((error: unknown) =>
            log.warn({ err: error, provider, slot: held }, 'could not renew a provider slot lease'),
          );
      }, leaseMs / 4);
      renewal.unref();
      try {
        return await call();
      } finally {
        clearInterval(renewal);
        // Release and wake the waiters in one round trip.
        await pool
          .query(
            `with released as (
               update provider_leases set holder = null, acquired_at = null, expires_at = null
               where provider = $1 and slot = $2 and holder = $3 returning provider)
             select pg_notify($4, provider) from released`,
            [provider, slot, workerId, CHANNEL],
          )
          .catch((error) =>
            log.warn(
              { err: error, provider, slot },
              'could not release a provider slot; it frees itself when its lease expires',
            ),
          );
      }
    },
    async close() {
      for (const line of lines.values()) line.closeAll();
      await listener.end().catch(() => {});
      await pool.end();
    },
  };
}

function abortableSleep(ms: number, signal: AbortSignal) {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted)
      return reject(new ProviderError('canceled', 'canceled while waiting for the provider rate limit'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ProviderError('canceled', 'canceled while waiting for the provider rate limit'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
