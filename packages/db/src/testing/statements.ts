/**
 * Counts the SQL statements this process sends to Postgres while `fn` runs: every `query` of every
 * node-postgres client (Prisma's adapter, graphile-worker and our own pools all use one), BEGIN and
 * COMMIT included. Instrumentation for statement-count tests, not a mock: every statement still runs.
 */
import pg from 'pg';

export async function countStatements<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; statements: number; texts: string[] }> {
  const texts: string[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string } | undefined;
    texts.push(typeof first === 'string' ? first : (first?.text ?? '?'));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    const result = await fn();
    return { result, statements: texts.length, texts };
  } finally {
    pg.Client.prototype.query = original;
  }
}
