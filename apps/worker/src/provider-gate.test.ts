import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
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

async function gate(workerId: string, leaseMs: number) {
  const made = await makeProviderGate({
    databaseUrl: database.url,
    workerId,
    leaseMs,
    pollMs: 50,
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
});
