/**
 * The submit's one statement (darkroom_accept_job, built by lifecycle's acceptJob) sent as a named
 * prepared statement through the node-postgres pool Prisma itself uses (pgPoolOf), as the hot reads do.
 * Profiled per submit, Prisma's request pipeline for that one raw statement (its client runtime, span
 * and adapter layers) was the API's largest cost after the HTTP layer (docs/performance.md, "Issue 20:
 * the submit's own cost"). The statement, the row it writes and the answer are lifecycle's own: only
 * the transport changes, and a Postgres error keeps the shape lifecycle and create.ts read (its
 * SQLSTATE as the adapter's `originalCode`), so every refusal is the same typed error.
 * With a `SubmitCounter`, the text-to-image accept also counts the submit against its per-minute budget
 * in the same statement (darkroom_accept_job's `submits`), instead of a round trip and commit of its own.
 */
import { lifecycle, pgPoolOf, type Db } from '@darkroom/db';
import type { SubmitCounter } from '../rate-limits.js';

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

/** darkroom_accept_job with its `submits` argument after acceptJob's seven, in their order. */
const COUNTED_ACCEPT = {
  name: 'darkroom_hot_accept_counted',
  text: `select rank, accepted_at, ahead from darkroom_accept_job($1::jsonb, $2::uuid[], $3::int, $4::int,
    $5::int, $6::int, $7::boolean, $8::jsonb)`,
};

/** Whether acceptJob's statement is the seven-argument darkroom_accept_job COUNTED_ACCEPT extends. */
const isPlainAccept = (text: string, values: unknown[]) =>
  values.length === 7 && /\bdarkroom_accept_job\(/.test(text) && /::boolean\)\s*$/.test(text);

/** Just the `$queryRaw` acceptJob calls, over the pool. */
function rawQueriesOver(pool: Pool, submits: SubmitCounter | null): Db {
  const client = {
    async $queryRaw(strings: TemplateStringsArray, ...values: unknown[]) {
      let statement = statementFor(strings);
      if (submits) {
        // Never accept without counting: a statement of another shape here is a bug, not a fallback.
        if (!isPlainAccept(statement.text, values)) throw new Error('acceptJob sent an accept hot-accept cannot count');
        statement = COUNTED_ACCEPT;
        values = [...values, JSON.stringify(submits)];
      }
      try {
        const { rows } = await pool.query({ ...statement, values });
        return rows;
      } catch (error) {
        throw asAdapterError(error);
      }
    },
  };
  return client as unknown as Db;
}

const clients = new WeakMap<Pool, Db>();

/** darkroom_accept_job's refusal of a submit over its per-minute budget (`submits`). */
export const SUBMITS_REFUSED = 'DR430';

/**
 * Whether acceptOverPool can count a submit in its statement: a text-to-image job (one with inputs is
 * accepted by darkroom_accept_job_with_inputs) on a client made by makeDb.
 */
export function countsInAccept(db: Db, options: Pick<AcceptOptions, 'inputs'>): boolean {
  return pgPoolOf(db) !== undefined && !options.inputs;
}

/**
 * lifecycle's acceptJob with its statement over the pool; through Prisma for a client made elsewhere
 * than makeDb (no pool of ours). `submits`, only where countsInAccept, counts the submit in the same
 * statement.
 */
export function acceptOverPool(
  db: Db,
  options: AcceptOptions,
  submits: SubmitCounter | null = null,
): ReturnType<typeof lifecycle.acceptJob> {
  const pool = pgPoolOf(db);
  if (submits) {
    if (!pool || !countsInAccept(db, options)) throw new Error('this accept cannot count its submit');
    return lifecycle.acceptJob(rawQueriesOver(pool, submits), options);
  }
  if (!pool) return lifecycle.acceptJob(db, options);
  let client = clients.get(pool);
  if (!client) {
    client = rawQueriesOver(pool, null);
    clients.set(pool, client);
  }
  return lifecycle.acceptJob(client, options);
}
