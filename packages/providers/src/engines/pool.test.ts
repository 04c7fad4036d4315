import { describe, expect, it } from 'vitest';
import { providerFailure } from '../testing/expect-failure.js';
import { makeEnginePool } from './pool.js';

const urls = ['http://gpu1:8188', 'http://gpu2:8188'];

describe('engine pool', () => {
  it('leases the least busy instance and never more than its concurrency', async () => {
    const pool = makeEnginePool({ engine: 'test', urls, concurrency: 1 });
    const first = await pool.acquire();
    const second = await pool.acquire();
    expect([first.url, second.url]).toEqual(urls);

    let third: string | null = null;
    const waiting = pool.acquire().then((lease) => (third = lease.url));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(third).toBeNull();
    second.release();
    await waiting;
    expect(third).toBe(urls[1]);
    expect(pool.states().map((s) => s.busy)).toEqual([1, 1]);
  });

  it('skips an instance marked down until its time is up', async () => {
    let now = 1000;
    const pool = makeEnginePool({ engine: 'test', urls, downForMs: 500, now: () => now });
    pool.markDown(urls[0]!);
    const lease = await pool.acquire();
    expect(lease.url).toBe(urls[1]);
    lease.release();
    expect(pool.states()[0]!.downUntil).toBe(1500);

    now = 1501;
    expect((await pool.acquire()).url).toBe(urls[0]);
  });

  it('fails transient at once when every instance is down or excluded, and canceled when aborted', async () => {
    const pool = makeEnginePool({ engine: 'test', urls });
    pool.markDown(urls[0]!);
    const error = await providerFailure(pool.acquire(undefined, new Set([urls[1]!])));
    expect([error.code, error.message]).toEqual(['transient', expect.stringContaining('no instance is reachable')]);

    const full = makeEnginePool({ engine: 'test', urls: [urls[0]!] });
    await full.acquire();
    const controller = new AbortController();
    const waiting = full.acquire(controller.signal);
    controller.abort();
    expect((await providerFailure(waiting)).code).toBe('canceled');
  });

  it('refuses an empty list', () => {
    expect(() => makeEnginePool({ engine: 'test', urls: [] })).toThrow('no instance URLs');
  });
});
