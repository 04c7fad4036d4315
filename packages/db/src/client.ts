import { PrismaPg } from '@prisma/adapter-pg';
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

/** A Prisma 7 client over node-postgres. The caller owns it and must `$disconnect()` it. */
export function makeDb({ url, poolSize = 10 }: DbOptions): Db {
  const adapter = new PrismaPg({ connectionString: url, max: poolSize });
  // A burst of submits queues for the pool's connections; Prisma's default 2 s wait for one would turn
  // a busy moment into failed requests, so transactions wait longer for a connection (not to run).
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 15_000, timeout: 15_000 } });
}
