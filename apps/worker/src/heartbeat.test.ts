/**
 * The recovery sweep against a real Postgres: a silent worker is buried whatever it was doing when it
 * went quiet, including sitting in an open transaction on the locks a sweep needs.
 */
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { runMigrations } from 'graphile-worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSessionName, recoverDeadWorkers, withSessionName } from './heartbeat.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await runMigrations({ connectionString: database.url });
});
afterAll(() => database.drop());

const longAgo = () => new Date(Date.now() - 60_000);
let slots = 0;

/**
 * A worker's row as its last beat left it, with a provider slot and a graphile job locked in its name,
 * and its last report of an engine instance.
 */
async function silentWorker(workerId: string, lastSeenAt = longAgo()) {
  const sessionName = newSessionName();
  const graphileId = `pool-${workerId}`;
  await database.db.workerHeartbeat.create({
    data: {
      workerId,
      host: 'test',
      pid: 1,
      concurrency: 1,
      sessionName,
      graphileWorkerIds: [graphileId],
      startedAt: lastSeenAt,
      lastSeenAt,
    },
  });
  await database.db.providerLease.create({
    data: {
      provider: 'mock',
      slot: slots++,
      holder: workerId,
      acquiredAt: lastSeenAt,
      expiresAt: new Date(Date.now() + 600_000),
    },
  });
  await database.db.engineInstance.create({
    data: { workerId, provider: 'comfyui', host: 'gpu-1:8188', state: 'healthy', inFlight: 1, updatedAt: lastSeenAt },
  });
  const [{ id }] = await database.db.$queryRaw<
    [{ id: string }]
  >`select (graphile_worker.add_job('generate', '{}'::json, job_key := ${workerId})).id::text as id`;
  await database.db
    .$executeRaw`update graphile_worker._private_jobs set locked_by = ${graphileId}, locked_at = now() where id = ${id}::bigint`;
  return { workerId, sessionName, graphileJobId: id };
}

async function lockedBy(graphileJobId: string) {
  const [{ locked_by }] = await database.db.$queryRaw<
    [{ locked_by: string | null }]
  >`select locked_by from graphile_worker._private_jobs where id = ${graphileJobId}::bigint`;
  return locked_by;
}

describe('recoverDeadWorkers', () => {
  it('buries a worker paused inside a transaction: ends its session, then frees its slot and its job', async () => {
    const paused = await silentWorker('w-paused');
    // The paused process's own session, stopped mid-transaction: it holds what every sweep touches
    // (the advisory key an earlier sweep serialized on, its heartbeat row, its provider slot's row).
    const session = new pg.Client({ connectionString: withSessionName(database.url, paused.sessionName) });
    await session.connect();
    // node-postgres reports the end of a terminated session as errors (the server's word, then the socket's).
    const said: Error[] = [];
    const ended = new Promise<void>((resolve) => session.on('error', (error) => resolve(void said.push(error))));
    await session.query('begin');
    await session.query('select pg_advisory_xact_lock($1)', [0x6461726b]);
    await session.query(`select * from provider_leases where holder = $1 for update`, [paused.workerId]);

    expect(await recoverDeadWorkers(database.db, 5)).toEqual(['w-paused']);

    await ended;
    expect(said[0]!.message).toMatch(/terminat/);
    expect(await database.db.workerHeartbeat.findUnique({ where: { workerId: 'w-paused' } })).toBeNull();
    expect(await database.db.providerLease.count({ where: { holder: 'w-paused' } })).toBe(0);
    expect(await lockedBy(paused.graphileJobId)).toBeNull();
    expect(await database.db.engineInstance.count({ where: { workerId: 'w-paused' } })).toBe(0);
    await session.end().catch(() => {});
  });

  it('leaves a worker that beat recently alone, and its sessions with it', async () => {
    const alive = await silentWorker('w-alive', new Date());
    const session = new pg.Client({ connectionString: withSessionName(database.url, alive.sessionName) });
    await session.connect();
    try {
      expect(await recoverDeadWorkers(database.db, 5)).toEqual([]);
      expect((await session.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
      expect(await lockedBy(alive.graphileJobId)).toBe('pool-w-alive');
      expect(await database.db.providerLease.count({ where: { holder: 'w-alive' } })).toBe(1);
      expect(await database.db.engineInstance.count({ where: { workerId: 'w-alive' } })).toBe(1);
    } finally {
      await session.end();
      await database.db.workerHeartbeat.delete({ where: { workerId: 'w-alive' } });
    }
  });

  it('lets sweeps run side by side: each silent worker is buried exactly once', async () => {
    const dead = await Promise.all(Array.from({ length: 6 }, (_, index) => silentWorker(`w-dead-${index}`)));
    const sweeps = await Promise.all(Array.from({ length: 4 }, () => recoverDeadWorkers(database.db, 5)));
    const buried = sweeps.flat();
    expect(buried.toSorted()).toEqual(dead.map((worker) => worker.workerId).toSorted());
    for (const worker of dead) expect(await lockedBy(worker.graphileJobId)).toBeNull();
  });
});
