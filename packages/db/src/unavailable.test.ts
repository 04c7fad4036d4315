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

/** A client whose sessions carry their own application_name, so they can be ended from outside. */
function namedDb(): { db: Db; name: string } {
  const name = `unavailable-test ${randomUUID()}`;
  const url = new URL(database.url);
  url.searchParams.set('application_name', name);
  return { db: makeDb({ url: url.toString(), poolSize: 1 }), name };
}

/** Ends every session named `name` once one of them is running a query. */
async function endSessionsWhenBusy(name: string) {
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  try {
    for (let ended = 0; ended === 0; ) {
      const { rows } = await admin.query<{ ended: number }>(
        `select count(*) filter (where pg_terminate_backend(pid))::int as ended from pg_stat_activity where application_name = $1 and state = 'active'`,
        [name],
      );
      ended = rows[0]!.ended;
      if (ended === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await admin.end();
  }
}

describe('isDatabaseUnavailable', () => {
  it('is true for a raw query whose connection the server closed', async () => {
    const { db, name } = namedDb();
    try {
      const query = db.$queryRaw`select pg_sleep(30)`.then(() => null, (error: unknown) => error);
      await endSessionsWhenBusy(name);
      const error = await query;
      expect(error).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      await db.$disconnect();
    }
  });

  it('is true for an interactive transaction that lost its connection', async () => {
    const { db, name } = namedDb();
    try {
      const inTransaction = db
        .$transaction(async (tx) => {
          await tx.user.count();
          await tx.$executeRaw`select pg_sleep(30)`;
        })
        .then(() => null, (error: unknown) => error);
      await endSessionsWhenBusy(name);
      const error = await inTransaction;
      expect(error).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      await db.$disconnect();
    }
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
    const name = `unavailable-test ${randomUUID()}`;
    viaProxy.searchParams.set('application_name', name);
    const db = makeDb({ url: viaProxy.toString(), poolSize: 1 });
    try {
      const query = db.$queryRaw`select pg_sleep(30)`.then(() => null, (error: unknown) => error);
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      try {
        while ((await admin.query(`select 1 from pg_stat_activity where application_name = $1 and state = 'active'`, [name])).rowCount === 0) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        for (const socket of sockets) socket.resetAndDestroy();
        const error = await query;
        expect(error).toBeInstanceOf(Error);
        expect(isDatabaseUnavailable(error)).toBe(true);
        await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`, [name]);
      } finally {
        await admin.end();
      }
    } finally {
      await db.$disconnect();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('is false for a query that is wrong, and for a constraint the data breaks', async () => {
    const wrong = await database.db.$queryRawUnsafe('select * from no_such_table').then(() => null, (error: unknown) => error);
    expect(wrong).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(wrong)).toBe(false);
    await database.db.user.create({ data: { email: 'twice@example.com' } });
    const duplicate = await database.db.user.create({ data: { email: 'twice@example.com' } }).then(() => null, (error: unknown) => error);
    expect(duplicate).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(duplicate)).toBe(false);
  });
});
