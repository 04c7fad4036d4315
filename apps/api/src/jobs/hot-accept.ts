/**
 * The submit's one statement (darkroom_accept_job, built by lifecycle's acceptJob) sent as a named
 * prepared statement through the node-postgres pool Prisma itself uses (pgPoolOf), as the hot reads do.
 * Profiled per submit, Prisma's request pipeline for that one raw statement (its client runtime, span
 * and adapter layers) was the API's largest cost after the HTTP layer (docs/performance.md, "Issue 20:
 * the submit's own cost"). The statement, the row it writes and the answer are lifecycle's own: only
 * the transport changes, and a Postgres error keeps the shape lifecycle and create.ts read (its
 * SQLSTATE as the adapter's `originalCode`), so every refusal is the same typed error.
 */
import { lifecycle, pgPoolOf, type Db } from '@darkroom/db';

type Pool = NonNullable<ReturnType<typeof pgPoolOf>>;
type AcceptOptions = Parameters<typeof lifecycle.acceptJob>[1];

/** One name per call site's SQL (acceptJob has two: with and without inputs); template arrays are stable. */
const statementNames = new WeakMap<TemplateStringsArray, { name: string; text: string }>();
let named = 0;

function statementFor(strings: TemplateStringsArray) {
  let statement = statementNames.get(strings);
  if (!statement) {
    const text = strings.reduce((sql, part, index) => `${sql}$${index}${part}`);
    statement = { name: `darkroom_hot_accept_${++named}`, text };
    statementNames.set(strings, statement);
  }
  return statement;
}

/**
 * A Postgres refusal (a DatabaseError with its SQLSTATE) in the shape Prisma's pg adapter gives it, so
 * `postgresErrorOf` (DR402, DR429, a unique violation) reads it the same; the original stays the cause,
 * which is what isDatabaseUnavailable follows. Anything else (a lost connection) is passed on as is.
 */
function asAdapterError(error: unknown): unknown {
  const { code, detail } = (error ?? {}) as { code?: unknown; detail?: unknown };
  if (!(error instanceof Error) || typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return error;
  return Object.assign(new Error(error.message, { cause: error }), {
    meta: { driverAdapterError: { cause: { originalCode: code, detail } } },
  });
}

/** Just the `$queryRaw` acceptJob calls, over the pool. */
function rawQueriesOver(pool: Pool): Db {
  const client = {
    async $queryRaw(strings: TemplateStringsArray, ...values: unknown[]) {
      try {
        const { rows } = await pool.query({ ...statementFor(strings), values });
        return rows;
      } catch (error) {
        throw asAdapterError(error);
      }
    },
  };
  return client as unknown as Db;
}

const clients = new WeakMap<Pool, Db>();

/**
 * lifecycle's acceptJob with its statement over the pool; through Prisma for a client made elsewhere
 * than makeDb (no pool of ours).
 */
export function acceptOverPool(db: Db, options: AcceptOptions): ReturnType<typeof lifecycle.acceptJob> {
  const pool = pgPoolOf(db);
  if (!pool) return lifecycle.acceptJob(db, options);
  let client = clients.get(pool);
  if (!client) {
    client = rawQueriesOver(pool);
    clients.set(pool, client);
  }
  return lifecycle.acceptJob(client, options);
}
