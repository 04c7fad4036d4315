/**
 * Whether an error means "the database cannot be reached right now" (down, restarting, refusing
 * connections, the pool cannot get one), as opposed to a bug or a bad query. Callers answer those with
 * 503 and Retry-After instead of 500: the request may well succeed in a moment.
 */
import { Prisma } from './generated/prisma/client.js';

/** Prisma's codes for "cannot reach / lost the server / no connection from the pool in time / too many connections". */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);
/**
 * The driver adapter's kinds for the same (`meta.driverAdapterError.cause.kind`): a raw query that loses
 * its connection fails with code P2010 ("raw query failed"), and only the kind says why.
 */
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'SocketTimeout', 'ConnectionClosed', 'TooManyConnections']);
/** Socket errors, and Postgres's SQLSTATEs for connection failures and shutdown/startup. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
]);
const MESSAGES =
  /ECONNREFUSED|Connection terminated|terminating connection|Server has closed the connection|Can't reach database server|database system is (starting up|shutting down|in recovery mode)|connect ECONNREFUSED|Client has encountered a connection error/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    if (current instanceof Prisma.PrismaClientInitializationError) return true;
    const { code, kind, message, cause, meta } = current as {
      code?: unknown;
      kind?: unknown;
      message?: unknown;
      cause?: unknown;
      meta?: { driverAdapterError?: unknown };
    };
    if (typeof code === 'string' && (PRISMA_CODES.has(code) || CONNECTION_CODES.has(code))) return true;
    if (typeof kind === 'string' && ADAPTER_KINDS.has(kind)) return true;
    if (typeof message === 'string' && MESSAGES.test(message)) return true;
    current = cause ?? meta?.driverAdapterError;
  }
  return false;
}
