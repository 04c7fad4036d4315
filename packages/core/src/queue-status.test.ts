import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { systemStatusOf } from './queue-status.js';

const calm = { queueLength: 3, workersAlive: 2, failureRate: 0.05, warnQueueLength: 100 };

describe('systemStatusOf', () => {
  it.each([
    ['a calm queue', calm, 'healthy'],
    ['over 20 % failing', { ...calm, failureRate: 0.21 }, 'warning'],
    ['exactly 20 % failing', { ...calm, failureRate: 0.2 }, 'healthy'],
    ['a queue over the limit', { ...calm, queueLength: 101 }, 'warning'],
    ['over 50 % failing', { ...calm, failureRate: 0.51 }, 'critical'],
    ['jobs waiting with no worker alive', { ...calm, workersAlive: 0 }, 'critical'],
    ['no worker but nothing waiting', { ...calm, queueLength: 0, workersAlive: 0 }, 'healthy'],
    ['too few jobs to judge a failure rate', { ...calm, failureRate: null }, 'healthy'],
  ] as const)('%s is %s', (_name, input, status) => {
    expect(systemStatusOf(input).status).toBe(status);
  });

  it('names every reason, most severe first', () => {
    const { status, reasons } = systemStatusOf({
      queueLength: 500,
      workersAlive: 0,
      failureRate: 0.6,
      warnQueueLength: 100,
    });
    expect(status).toBe('critical');
    expect(reasons).toEqual([
      '60 % of the jobs that ended in the last 15 minutes failed',
      '500 jobs wait and no worker is alive',
      '500 jobs are queued (more than 100)',
    ]);
  });

  it('is healthy exactly when it gives no reason', () => {
    fc.assert(
      fc.property(
        fc.nat(1000),
        fc.nat(5),
        fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
        fc.nat(1000),
        (queueLength, workersAlive, failureRate, warnQueueLength) => {
          const { status, reasons } = systemStatusOf({ queueLength, workersAlive, failureRate, warnQueueLength });
          expect(status === 'healthy').toBe(reasons.length === 0);
        },
      ),
    );
  });
});
