/**
 * The credit invariants, checked against the database itself, and a way to run a job's pipeline in
 * the test process (the worker's real `runJob`) with the mock provider's seeded failure mix.
 */
import { createProvider } from '@darkroom/providers';
import type { Db } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import { runJob } from '@darkroom/worker';
import { pino } from 'pino';

export { ledgerViolations } from '@darkroom/db';

/** Runs one job to its end in this process, as a worker would, with the mock's failure mix. */
export function makeJobRunner({
  db,
  storage,
  failures,
}: {
  db: Db;
  storage: ImageStorage;
  failures: Record<string, number>;
}) {
  const mock = createProvider('mock', { mock: { latencyMs: [0, 0], failures, retryAfterMs: 0, seed: 7 } });
  const local = createProvider('local', {});
  const deps = {
    db,
    storage,
    providerFor: (name: string) => (name === 'mock' ? mock : local),
    log: pino({ level: 'silent' }),
    workerId: 'test-runner',
    imageConcurrency: 2,
    maxImageAttempts: 1,
  };
  return (jobId: string) => runJob(deps, jobId);
}
