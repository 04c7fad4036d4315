import { countStatements, createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProviderGate, type ProviderGate } from './provider-gate.js';

let database: TestDatabase;
const gates: ProviderGate[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await Promise.all(gates.map((gate) => gate.close()));
  await database.drop();
});

async function gate(workerId: string, leaseMs: number, pollMs = 50) {
  const made = await makeProviderGate({
    databaseUrl: database.url,
    workerId,
    leaseMs,
    pollMs,
    limitsFor: () => ({ concurrency: 1, requestsPerMinute: 0 }),
    log: pino({ level: 'silent' }),
  });
  gates.push(made);
  return made;
}

describe('provider slots', () => {
  it('a call that outlasts the lease keeps its slot: the other worker waits for the release, not the lease', async () => {
    const leaseMs = 1200;
    const [a, b] = [await gate('worker-a', leaseMs), await gate('worker-b', leaseMs)];
    const timeline: string[] = [];
    let aStarted!: () => void;
    const started = new Promise<void>((resolve) => (aStarted = resolve));
    const signal = new AbortController().signal;
    const first = a.withSlot('slow-vendor', signal, async () => {
      timeline.push('a starts');
      aStarted();
      // Three leases long: without renewal the lease lapses twice under this call.
      await new Promise((resolve) => setTimeout(resolve, 3 * leaseMs));
      timeline.push('a ends');
    });
    await started;
    const second = b.withSlot('slow-vendor', signal, async () => {
      timeline.push('b starts');
    });
    await Promise.all([first, second]);

    expect(timeline).toEqual(['a starts', 'a ends', 'b starts']);
  });

  it('a release wakes the first waiter only: callers take the slot in turn, without each looking at every release', async () => {
    // A long poll, so every look in the count was a notification's (or the chain after a take).
    const [a, b] = [await gate('turns-a', 60_000, 5_000), await gate('turns-b', 60_000, 5_000)];
    const signal = new AbortController().signal;
    const order: string[] = [];
    let inFlight = 0;
    let most = 0;
    const call = (name: string) => async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      order.push(name);
      await new Promise((resolve) => setTimeout(resolve, 30));
      inFlight--;
    };
    const callers = 8;
    const { statements, texts } = await countStatements(async () => {
      const calls: Promise<void>[] = [];
      // One after the other, so each arrives behind those already waiting.
      for (let i = 0; i < callers; i++) {
        calls.push((i % 2 ? b : a).withSlot('turns', signal, call(`${i % 2 ? 'b' : 'a'}${i}`)));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await Promise.all(calls);
    });
    expect(most).toBe(1);
    expect(order).toHaveLength(callers);
    // Each gate serves its own callers first come first served.
    expect(order.filter((name) => name.startsWith('a'))).toEqual(['a0', 'a2', 'a4', 'a6']);
    expect(order.filter((name) => name.startsWith('b'))).toEqual(['b1', 'b3', 'b5', 'b7']);
    // Every caller takes and releases once; a release wakes one waiter per gate (both hear it), so looks
    // that find nothing are at most two per release. Waking every waiter cost up to 7 per release here.
    const looks = texts.filter((text) => text.includes('update provider_leases set holder = $3')).length;
    expect(looks).toBeLessThanOrEqual(callers + 2 * callers);
    expect(statements).toBeLessThanOrEqual(callers * 4 + 2);
  });

  it('a caller whose wait is aborted leaves the line and the next one gets the slot', async () => {
    const a = await gate('abort-a', 60_000);
    const held = new AbortController();
    let releaseFirst!: () => void;
    let firstStarted!: () => void;
    const started = new Promise<void>((resolve) => (firstStarted = resolve));
    const first = a.withSlot(
      'abortable',
      held.signal,
      () =>
        new Promise<void>((resolve) => {
          releaseFirst = resolve;
          firstStarted();
        }),
    );
    await started;
    const quitter = new AbortController();
    const second = a.withSlot('abortable', quitter.signal, async () => 'second ran').catch((error: unknown) => error);
    const third = a.withSlot('abortable', new AbortController().signal, async () => 'third ran');
    quitter.abort();
    expect(String(await second)).toContain('canceled');
    releaseFirst();
    await first;
    expect(await third).toBe('third ran');
  });
});
