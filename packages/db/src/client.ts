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
  return new PrismaClient({ adapter });
}
