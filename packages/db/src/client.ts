import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client.js';

export type Db = PrismaClient;
/** The client handed to `$transaction` callbacks. */
export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

export interface DbOptions {
  /** Postgres connection string. */
  url: string;
  /** Pool size for this process. Default 10. */
  poolSize?: number;
}

const pools = new WeakMap<Db, pg.Pool>();

/** A Prisma 7 client over node-postgres. The caller owns it and must `$disconnect()` it. */
export function makeDb({ url, poolSize = 10 }: DbOptions): Db {
  // The pool is made here rather than by the adapter so the hottest reads can share it without
  // Prisma's client runtime (pgPoolOf); the adapter still ends it on `$disconnect()`.
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle connection the server ends (a restart, pg_terminate_backend, a dropped database) is an
  // 'error' on the pool, which throws in the process when nobody listens; the adapter listens only once
  // Prisma has connected, and the hot statements (pgPoolOf) may use the pool before it does. The pool has
  // already dropped that connection and opens a new one when asked, and a query in flight gets its own
  // error, so there is nothing more to do here.
  pool.on('error', () => {});
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  // A burst of submits queues for the pool's connections; Prisma's default 2 s wait for one would turn
  // a busy moment into failed requests, so transactions wait longer for a connection (not to run).
  const db = new PrismaClient({ adapter, transactionOptions: { maxWait: 15_000, timeout: 15_000 } });
  pools.set(db, pool);
  return db;
}

/**
 * The node-postgres pool under a client made by makeDb (the same connections, the same size), for
 * statements too hot for Prisma's client runtime; undefined for any other client.
 */
export function pgPoolOf(db: Db | Tx): pg.Pool | undefined {
  return pools.get(db as Db);
}

/** A statement sent prepared (named) over pgPoolOf's pool: each connection parses and plans it once. */
export interface HotStatement {
  name: string;
  text: string;
}

/**
 * Runs a read as a prepared statement over the pool under a client made by makeDb, off Prisma's client
 * runtime (for statements every job or request sends); through Prisma for any other client. Its rows.
 */
export async function queryHot<R>(db: Db | Tx, statement: HotStatement, values: unknown[]): Promise<R[]> {
  const pool = pgPoolOf(db);
  if (!pool) return db.$queryRawUnsafe<R[]>(statement.text, ...values);
  return (await pool.query({ ...statement, values })).rows as R[];
}

/** queryHot for a write: how many rows it changed. */
export async function execHot(db: Db | Tx, statement: HotStatement, values: unknown[]): Promise<number> {
  const pool = pgPoolOf(db);
  if (!pool) return db.$executeRawUnsafe(statement.text, ...values);
  return (await pool.query({ ...statement, values })).rowCount ?? 0;
}
