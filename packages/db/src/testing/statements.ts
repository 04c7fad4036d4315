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

/**
 * Runs `fn` as a process that dies just before sending a statement whose text contains `marker`: that
 * statement never reaches Postgres and its caller gets an error, as if the connection dropped with the
 * process. Every other statement runs. For crash tests (what the database holds when a worker dies at a
 * given point), not a mock.
 */
export async function dyingBefore<T>(marker: string, fn: () => Promise<T>): Promise<T> {
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string } | undefined;
    const text = typeof first === 'string' ? first : (first?.text ?? '');
    if (!text.includes(marker)) return (original as (...a: unknown[]) => unknown).apply(this, args);
    const error = new Error(`the process died before sending ${marker}`);
    // The pool passes a callback; a bare client call awaits the promise.
    const callback = args.find((arg) => typeof arg === 'function') as ((error: Error) => void) | undefined;
    if (callback) return void setImmediate(() => callback(error));
    return Promise.reject(error);
  } as typeof original;
  try {
    return await fn();
  } finally {
    pg.Client.prototype.query = original;
  }
}
