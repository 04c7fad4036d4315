/**
 * What counts as "the database is unavailable" (answered 503 + Retry-After, not 500), checked against
 * errors a real Postgres and Prisma produce, not hand-made ones: a session ended under a running query
 * (what a restart does to every open connection), a connection reset under it (what a server killed
 * outright or a network drop does), and a query that is simply wrong.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDb, type Db } from './client.js';
import { createTestDatabase, type TestDatabase } from './testing/index.js';
import { isDatabaseUnavailable } from './unavailable.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

/**
 * What `work` fails with when `interrupt` strikes while it runs: `work` gets a client of its own whose
 * sessions carry a unique application_name (through `url`, default the test database), and `interrupt`
 * runs, with an admin connection, once one of those sessions is busy with a query.
 */
async function failureOf(
  work: (db: Db) => Promise<unknown>,
  interrupt: (admin: pg.Client, name: string) => Promise<unknown>,
  url = database.url,
): Promise<unknown> {
  const name = `unavailable-test ${randomUUID()}`;
  const named = new URL(url);
  named.searchParams.set('application_name', name);
  const db = makeDb({ url: named.toString(), poolSize: 1 });
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  try {
    const failure = work(db).then(
      () => null,
      (error: unknown) => error,
    );
    while (
      (await admin.query(`select 1 from pg_stat_activity where application_name = $1 and state = 'active'`, [name]))
        .rowCount === 0
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await interrupt(admin, name);
    return await failure;
  } finally {
    // Whatever the interrupt left of the session server-side goes too.
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`, [name]);
    await admin.end();
    await db.$disconnect();
  }
}

/** Ends the sessions named `name`, as a restarting server ends every open connection. */
const endSessions = (admin: pg.Client, name: string) =>
  admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`, [name]);

describe('isDatabaseUnavailable', () => {
  it('is true for a raw query whose connection the server closed', async () => {
    const error = await failureOf((db) => db.$queryRaw`select pg_sleep(30)`, endSessions);
    expect(error).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('is true for an interactive transaction that lost its connection', async () => {
    const error = await failureOf(
      (db) =>
        db.$transaction(async (tx) => {
          await tx.user.count();
          await tx.$executeRaw`select pg_sleep(30)`;
        }),
      endSessions,
    );
    expect(error).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('is true for a raw query whose connection was reset (ECONNRESET, which Prisma reports as ConnectionClosed)', async () => {
    // A TCP proxy in front of Postgres that can reset its connections, as a dying server or network does.
    const target = new URL(database.url);
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const server = net.connect(Number(target.port), target.hostname);
      sockets.add(client);
      client.pipe(server).pipe(client);
      client.on('error', () => server.destroy());
      server.on('error', () => client.destroy());
      client.on('close', () => sockets.delete(client));
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const viaProxy = new URL(database.url);
    viaProxy.port = String((proxy.address() as net.AddressInfo).port);
    try {
      const error = await failureOf(
        (db) => db.$queryRaw`select pg_sleep(30)`,
        async () => {
          for (const socket of sockets) socket.resetAndDestroy();
        },
        viaProxy.toString(),
      );
      expect(error).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('is false for a query that is wrong, and for a constraint the data breaks', async () => {
    const wrong = await database.db.$queryRawUnsafe('select * from no_such_table').then(
      () => null,
      (error: unknown) => error,
    );
    expect(wrong).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(wrong)).toBe(false);
    await database.db.user.create({ data: { email: 'twice@example.com' } });
    const duplicate = await database.db.user.create({ data: { email: 'twice@example.com' } }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(duplicate).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(duplicate)).toBe(false);
  });
});
