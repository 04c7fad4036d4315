/**
 * The pool under makeDb outlives its connections: one the server ends while idle (a restart, a dropped
 * database, pg_terminate_backend) must not throw in the process, even before Prisma ever connected.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeDb, pgPoolOf } from './client.js';
import { createTestDatabase, type TestDatabase } from './testing/index.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

it('survives the server ending an idle connection used only through pgPoolOf, and reconnects', async () => {
  const db = makeDb({ url: database.url, poolSize: 1 });
  try {
    const pool = pgPoolOf(db)!;
    const { pid } = (await pool.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!;
    // An idle 'error' with no listener is an uncaught exception, which fails this file.
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      await database.db.$queryRaw`select pg_terminate_backend(${pid}::int)`;
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
    expect((await pool.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
  } finally {
    await db.$disconnect();
  }
});
