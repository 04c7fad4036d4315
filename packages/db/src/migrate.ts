/**
 * Applies prisma/migrations the way `prisma migrate deploy` does, without Prisma's native engine
 * (unreachable on these machines): same folder layout, same `_prisma_migrations` bookkeeping, same
 * advisory lock, so a deployment that has the native engine can take over at any point.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Logger, runMigrations as runGraphileMigrations } from 'graphile-worker';

const here = path.dirname(fileURLToPath(import.meta.url));
/**
 * prisma/migrations at the repository root; outside the repository (a deployed or packed
 * @darkroom/db), the copy its build puts in dist/migrations (scripts/bundle-migrations.mjs).
 */
export const DEFAULT_MIGRATIONS_DIR =
  [path.resolve(here, '../../../prisma/migrations'), path.resolve(here, 'migrations')].find((dir) => existsSync(dir)) ??
  path.resolve(here, 'migrations');

/** The lock key `prisma migrate` takes, so our applier and Prisma's never run at once. */
const PRISMA_MIGRATE_LOCK = 72707369;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Migration[] {
  // Never "nothing to apply": a deploy that lost its migrations would start on an empty schema and
  // call itself ready.
  if (!existsSync(dir)) throw new Error(`no migrations folder at ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

/** Applies every pending migration, each in its own transaction. Throws on a failed or edited one. */
export async function applyMigrations(
  databaseUrl: string,
  dir: string = DEFAULT_MIGRATIONS_DIR,
): Promise<MigrationResult> {
  const migrations = readMigrations(dir);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK]);
    await client.query(`
      create table if not exists "_prisma_migrations" (
        "id" varchar(36) primary key not null,
        "checksum" varchar(64) not null,
        "finished_at" timestamptz,
        "migration_name" varchar(255) not null,
        "logs" text,
        "rolled_back_at" timestamptz,
        "started_at" timestamptz not null default now(),
        "applied_steps_count" integer not null default 0
      )`);
    const { rows } = await client.query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
    }>('select migration_name, checksum, finished_at, rolled_back_at from "_prisma_migrations"');
    const failed = rows.find((row) => !row.finished_at && !row.rolled_back_at);
    if (failed) {
      throw new Error(
        `migration ${failed.migration_name} failed earlier and was not rolled back; fix the database, then mark it rolled back (prisma migrate resolve)`,
      );
    }
    const done = new Map(rows.filter((row) => row.finished_at).map((row) => [row.migration_name, row.checksum]));
    const result: MigrationResult = { applied: [], alreadyApplied: [] };
    for (const migration of migrations) {
      const recorded = done.get(migration.name);
      if (recorded) {
        if (recorded !== migration.checksum) {
          throw new Error(`migration ${migration.name} was edited after it was applied (checksum differs)`);
        }
        result.alreadyApplied.push(migration.name);
        continue;
      }
      await applyOne(client, migration);
      result.applied.push(migration.name);
    }
    return result;
  } finally {
    await client.query('select pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK]).catch(() => {});
    await client.end();
  }
}

async function applyOne(client: pg.Client, migration: Migration) {
  const id = randomUUID();
  await client.query(
    'insert into "_prisma_migrations" (id, checksum, migration_name, started_at) values ($1, $2, $3, now())',
    [id, migration.checksum, migration.name],
  );
  try {
    await client.query('begin');
    await client.query(migration.sql);
    await client.query('update "_prisma_migrations" set finished_at = now(), applied_steps_count = 1 where id = $1', [
      id,
    ]);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    await client.query('update "_prisma_migrations" set logs = $2 where id = $1', [id, String(error)]);
    throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`);
  }
}

/** Names of migrations in `dir` not yet applied to the database (for /readyz). */
export async function pendingMigrations(databaseUrl: string, dir: string = DEFAULT_MIGRATIONS_DIR): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client
      .query<{ migration_name: string }>(
        'select migration_name from "_prisma_migrations" where finished_at is not null',
      )
      .catch(() => ({ rows: [] as { migration_name: string }[] }));
    const done = new Set(rows.map((row) => row.migration_name));
    return readMigrations(dir)
      .map((m) => m.name)
      .filter((name) => !done.has(name));
  } finally {
    await client.end();
  }
}

/** Our migrations, then graphile-worker's own schema: everything a fresh database needs. */
export async function migrateDatabase(
  databaseUrl: string,
  dir: string = DEFAULT_MIGRATIONS_DIR,
): Promise<MigrationResult> {
  const result = await applyMigrations(databaseUrl, dir);
  await runGraphileMigrations({ connectionString: databaseUrl, logger: quietGraphileLogger });
  return result;
}

/** graphile-worker logs every migration at info; we only want its warnings. */
const quietGraphileLogger = new Logger(() => (level: string, message: string) => {
  if (level === 'error' || level === 'warning') console.warn(`[graphile-worker] ${message}`);
});
