import { cpSync, mkdtempSync, appendFileSync, readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, DEFAULT_MIGRATIONS_DIR, pendingMigrations, readMigrations } from './migrate.js';
import { diffSchemas } from './schema-diff.js';
import { parseSqlSource, readSqlSources, sqlSourcesMigration } from './sql-sources.js';
import { createEmptyDatabase } from './testing/index.js';

const schemaPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../prisma/schema.prisma');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function emptyDatabase() {
  const database = await createEmptyDatabase();
  cleanups.push(database.drop);
  return database.url;
}

/** Everything in the public schema that a migration can shape, in a comparable form. */
async function catalogOf(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const query = async (sql: string) => (await client.query(sql)).rows;
    return {
      columns: await query(`
        select table_name, column_name, data_type, udt_name, is_nullable, column_default,
               character_maximum_length, numeric_precision, datetime_precision
        from information_schema.columns
        where table_schema = 'public' and table_name <> '_prisma_migrations'
        order by table_name, column_name`),
      indexes: await query(`
        select tablename, indexname, indexdef from pg_indexes
        where schemaname = 'public' and tablename <> '_prisma_migrations' order by indexname`),
      // CHECKs are left out: Prisma's schema cannot say them, so they live only in migrations (compared
      // with packages/db/schema.sql by schema-dump.test.ts, with core's lists by vocabulary.test.ts).
      constraints: await query(`
        select conrelid::regclass::text as table_name, conname, contype, pg_get_constraintdef(oid) as definition
        from pg_constraint where connamespace = 'public'::regnamespace and contype <> 'c'
          and conrelid::regclass::text <> '"_prisma_migrations"' and conrelid::regclass::text <> '_prisma_migrations'
        order by conname`),
      enums: await query(`
        select t.typname, array_agg(e.enumlabel order by e.enumsortorder) as labels
        from pg_type t join pg_enum e on e.enumtypid = t.oid
        where t.typnamespace = 'public'::regnamespace group by t.typname order by t.typname`),
    };
  } finally {
    await client.end();
  }
}

/** Each function's and trigger's definition as Postgres prints it, so formatting cannot differ. */
async function routinesOf(client: pg.Client) {
  const functions = await client.query<{ name: string; definition: string }>(`
    select proname as name, pg_get_functiondef(oid) as definition from pg_proc
    where pronamespace = 'public'::regnamespace order by proname`);
  const triggers = await client.query<{ name: string; definition: string }>(`
    select tgname || ' on ' || tgrelid::regclass::text as name, pg_get_triggerdef(oid) as definition from pg_trigger
    where not tgisinternal order by 1`);
  return {
    functions: new Map(functions.rows.map((row) => [row.name, row.definition])),
    triggers: new Map(triggers.rows.map((row) => [row.name, row.definition])),
  };
}

/** What differs between two maps of definitions, one line per name. */
function differences(kind: string, migrated: Map<string, string>, fromSources: Map<string, string>) {
  const lines: string[] = [];
  for (const [name, definition] of fromSources) {
    if (!migrated.has(name)) lines.push(`${kind} ${name}: in packages/db/sql/, but no migration creates it`);
    else if (migrated.get(name) !== definition)
      lines.push(`${kind} ${name}: packages/db/sql/ differs from the migrated database`);
  }
  return lines;
}

const SQL_SOURCES_FIX =
  'packages/db/sql/ must hold every function and trigger as a fully migrated database has it: after editing a file ' +
  'there, run `pnpm db:migration <name>` to write its migration';

describe('migrations', () => {
  it('a migrated empty database matches schema.prisma (no drift)', async () => {
    const migrated = await emptyDatabase();
    await applyMigrations(migrated);

    const fromSchema = await emptyDatabase();
    const sql = await diffSchemas({ from: 'empty', to: schemaPath, databaseUrl: fromSchema });
    const client = new pg.Client({ connectionString: fromSchema });
    await client.connect();
    await client.query(sql).finally(() => client.end());

    const expected = await catalogOf(fromSchema);
    expect(expected.columns.length).toBeGreaterThan(50);
    expect(await catalogOf(migrated)).toEqual(expected);
  }, 120_000);

  it('the migrated database has exactly the functions and triggers of packages/db/sql/', async () => {
    const url = await emptyDatabase();
    await applyMigrations(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const migrated = await routinesOf(client);
      // Replaying every source over the migrated database changes nothing when they agree; Postgres
      // prints both sides, so only a real difference shows.
      await client.query('begin');
      const sources = readSqlSources();
      for (const source of sources) await client.query(source.sql);
      const fromSources = await routinesOf(client);
      await client.query('rollback');

      const declared = new Set(sources.map((source) => source.name));
      const declaredTriggers = new Set(
        sources.flatMap((source) =>
          source.triggers.map((trigger) => `${trigger.name} on ${trigger.table.replace(/^public\./, '')}`),
        ),
      );
      const problems = [
        ...[...migrated.functions.keys()]
          .filter((name) => !declared.has(name))
          .map((name) => `function ${name}: in the migrated database, but there is no packages/db/sql/${name}.sql`),
        ...[...migrated.triggers.keys()]
          .filter((name) => !declaredTriggers.has(name))
          .map((name) => `trigger ${name}: in the migrated database, but in no packages/db/sql/ file`),
        ...differences('function', migrated.functions, fromSources.functions),
        ...differences('trigger', migrated.triggers, fromSources.triggers),
      ];
      expect(problems, SQL_SOURCES_FIX).toEqual([]);
      expect(sources.length).toBeGreaterThanOrEqual(10);
    } finally {
      await client.end();
    }
  }, 60_000);

  it('a changed, re-signed, new or removed packages/db/sql file becomes the migration that brings the database to it', async () => {
    const url = await emptyDatabase();
    await applyMigrations(url);
    const before = readSqlSources();
    const edit = (name: string, change: (sql: string) => string) => {
      const source = before.find((s) => s.name === name)!;
      return parseSqlSource(name, change(source.sql));
    };
    const after = [
      // A body change: CREATE OR REPLACE. A trigger dropped from its file goes too.
      edit('darkroom_notify_job_changed', (sql) =>
        sql
          .replace("'darkroom_jobs'", "'darkroom_jobs_renamed'")
          .replace(/\nCREATE OR REPLACE TRIGGER jobs_notify_insert[^\n]*\n/, '\n'),
      ),
      // A new argument: CREATE OR REPLACE would make a second overload, so drop and create.
      edit('darkroom_reserve_credits', (sql) => sql.replace('note text)', 'note text, extra integer)')),
      parseSqlSource(
        'darkroom_answer',
        'CREATE OR REPLACE FUNCTION public.darkroom_answer()\n RETURNS integer\n LANGUAGE sql\nAS $function$select 42$function$;\n',
      ),
      ...before.filter(
        (s) => !['darkroom_notify_job_changed', 'darkroom_reserve_credits', 'jobs_search_update'].includes(s.name),
      ),
    ];
    const { drops, creates } = sqlSourcesMigration(before, after);
    expect(sqlSourcesMigration(before, before)).toEqual({ drops: '', creates: '' });

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(drops + creates);
      const { rows: functions } = await client.query<{ proname: string; args: string }>(`
        select proname, pg_get_function_identity_arguments(oid) as args from pg_proc
        where pronamespace = 'public'::regnamespace and proname in ('darkroom_reserve_credits', 'darkroom_answer', 'jobs_search_update')
        order by proname`);
      expect(functions).toEqual([
        { proname: 'darkroom_answer', args: '' },
        { proname: 'darkroom_reserve_credits', args: 'owner uuid, job uuid, amount integer, note text, extra integer' },
      ]);
      const { rows: triggers } = await client.query(
        `select tgname from pg_trigger where tgname in ('jobs_notify_insert', 'jobs_notify_update', 'jobs_search_update') order by 1`,
      );
      expect(triggers).toEqual([{ tgname: 'jobs_notify_update' }]);
      const { rows: body } = await client.query(
        `select prosrc from pg_proc where proname = 'darkroom_notify_job_changed'`,
      );
      expect(body[0].prosrc).toContain('darkroom_jobs_renamed');
    } finally {
      await client.end();
    }
  }, 60_000);

  it('installs the hand-written search, live-update and credential-change triggers that the schema cannot express', async () => {
    const url = await emptyDatabase();
    await applyMigrations(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query(`select tgname from pg_trigger where not tgisinternal order by tgname`);
      expect(rows.map((row) => row.tgname)).toEqual([
        'api_keys_notify_delete',
        'api_keys_notify_update',
        'images_bump_version',
        'images_notify_status',
        'job_events_webhook',
        'jobs_bump_version',
        'jobs_notify_insert',
        'jobs_notify_update',
        'jobs_progress_event',
        'jobs_search_update',
        'references_search_update',
        'users_notify_delete',
        'users_notify_update',
      ]);
      const heard: string[] = [];
      client.on('notification', (message) => heard.push(message.payload ?? ''));
      await client.query('LISTEN darkroom_jobs');
      const user = await client.query(
        `insert into users (id, email, updated_at) values (gen_random_uuid(), 'x@y.z', now()) returning id`,
      );
      await client.query(
        `insert into jobs (id, user_id, preset, prompt, aspect_ratio, width, height, provider, num_images, updated_at)
         values (gen_random_uuid(), $1, 'coloring-page', 'Dragons dancing', '1:1', 8, 8, 'local', 1, now())`,
        [user.rows[0].id],
      );
      const { rows: found } = await client.query(
        `select prompt from jobs where search @@ websearch_to_tsquery('english', 'dragon or coloring')`,
      );
      expect(found).toEqual([{ prompt: 'Dragons dancing' }]);
      // The insert was announced with its owner, for live subscribers on any API process.
      const job = await client.query(`select id from jobs`);
      await client.query('select 1');
      expect(heard.map((payload) => JSON.parse(payload))).toEqual([
        { jobId: job.rows[0].id, userId: user.rows[0].id, cancelRequested: false },
      ]);
      // A cancel request says so in its announcement: a worker running the job stops without re-reading it.
      await client.query(`update jobs set cancel_requested_at = now()`);
      await client.query('select 1');
      expect(JSON.parse(heard.at(-1)!)).toEqual({
        jobId: job.rows[0].id,
        userId: user.rows[0].id,
        cancelRequested: true,
      });
      // Every change of a job or image row bumps its version (views add them up); a no-op update does not.
      await client.query(
        `insert into images (id, job_id, index, updated_at) values (gen_random_uuid(), $1, 0, now())`,
        [job.rows[0].id],
      );
      await client.query(`update jobs set progress = 10`);
      await client.query(`update jobs set progress = 10`);
      await client.query(`update images set status = 'running', started_at = now()`);
      await client.query(
        `update images set status = 'succeeded', attempts = 1, storage_key = 'k', finished_at = now()`,
      );
      const { rows: versions } = await client.query(
        `select (select version from jobs) as job, (select version from images) as image`,
      );
      expect(versions).toEqual([{ job: 2, image: 2 }]);
    } finally {
      await client.end();
    }
  });

  it('records each migration in _prisma_migrations like prisma migrate deploy, and applies it once', async () => {
    const url = await emptyDatabase();
    const first = await applyMigrations(url);
    const second = await applyMigrations(url);

    const names = readMigrations().map((m) => m.name);
    expect(first.applied).toEqual(names);
    expect(second).toEqual({ applied: [], alreadyApplied: names });
    expect(await pendingMigrations(url)).toEqual([]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client
      .query(
        'select migration_name, checksum, applied_steps_count, finished_at from "_prisma_migrations" order by migration_name',
      )
      .finally(() => client.end());
    expect(rows.map((r) => [r.migration_name, r.checksum, r.applied_steps_count])).toEqual(
      readMigrations().map((m) => [m.name, m.checksum, 1]),
    );
    expect(rows.every((r) => r.finished_at instanceof Date)).toBe(true);
  });

  it('refuses a migration edited after it was applied', async () => {
    const url = await emptyDatabase();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-migrations-'));
    cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    await applyMigrations(url, dir);
    const [first] = readdirSync(dir)
      .filter((name) => /^\d/.test(name))
      .sort();
    appendFileSync(path.join(dir, first!, 'migration.sql'), '\n-- edited\n');
    await expect(applyMigrations(url, dir)).rejects.toThrow(/edited after it was applied/);
  });

  it('a failing migration rolls back, is recorded, and blocks the next run', async () => {
    const url = await emptyDatabase();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-migrations-'));
    cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    mkdirSync(path.join(dir, '99990101000000_broken'));
    writeFileSync(
      path.join(dir, '99990101000000_broken', 'migration.sql'),
      'create table half_written (id int);\nselect no_such_function();\n',
    );
    await expect(applyMigrations(url, dir)).rejects.toThrow(/99990101000000_broken failed/);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rowCount } = await client
      .query(`select 1 from pg_tables where tablename = 'half_written'`)
      .finally(() => client.end());
    expect(rowCount).toBe(0);
    await expect(applyMigrations(url, dir)).rejects.toThrow(/failed earlier/);
    expect(await pendingMigrations(url, dir)).toEqual(['99990101000000_broken']);
  });
});
