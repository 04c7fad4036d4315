import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations } from './migrate.js';
import { dumpDifferences, dumpSchema, SCHEMA_DUMP_COMMAND, SCHEMA_DUMP_PATH } from './schema-dump.js';
import { createEmptyDatabase } from './testing/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function migratedDatabase() {
  const database = await createEmptyDatabase();
  cleanups.push(database.drop);
  await applyMigrations(database.url);
  return database.url;
}

describe('packages/db/schema.sql', () => {
  it('is the dump of a freshly migrated database', async () => {
    const migrated = await dumpSchema(await migratedDatabase());
    const committed = readFileSync(SCHEMA_DUMP_PATH, 'utf8');

    const differences = dumpDifferences(committed, migrated);
    expect(
      differences,
      `packages/db/schema.sql differs from a freshly migrated database; after adding or changing a migration, run \`${SCHEMA_DUMP_COMMAND}\` and commit the file`,
    ).toEqual([]);
    // Same lines in another order (a column moved) is a difference too.
    expect(migrated, `run \`${SCHEMA_DUMP_COMMAND}\``).toBe(committed);
  }, 60_000);

  it('shows what a migration changes: a new column, CHECK, index and enum value each become a line', async () => {
    const url = await migratedDatabase();
    const before = await dumpSchema(url);
    // The column the new one follows gains a comma: whichever is last in jobs today.
    const jobsTable = before.slice(before.indexOf('CREATE TABLE jobs ('));
    const lastColumn = jobsTable.slice(0, jobsTable.indexOf('\n);')).split('\n').at(-1)!;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client
      .query(
        `alter table jobs add column mood text not null default 'calm' check (mood <> '');
         create index jobs_mood_idx on jobs (mood);
         alter type "Priority" add value 'whenever';`,
      )
      .finally(() => client.end());

    expect(dumpDifferences(before, await dumpSchema(url)).sort()).toEqual(
      [
        `+     mood text DEFAULT 'calm'::text NOT NULL   (in the migrated database, not in schema.sql)`,
        `+ ALTER TABLE jobs ADD CONSTRAINT jobs_mood_check CHECK ((mood <> ''::text));   (in the migrated database, not in schema.sql)`,
        `+ CREATE INDEX jobs_mood_idx ON public.jobs USING btree (mood);   (in the migrated database, not in schema.sql)`,
        `+     'whenever'   (in the migrated database, not in schema.sql)`,
        `+     'urgent',   (in the migrated database, not in schema.sql)`,
        `-     'urgent'   (in schema.sql, not in the migrated database)`,
        // The column before it gained a comma.
        `+ ${lastColumn},   (in the migrated database, not in schema.sql)`,
        `- ${lastColumn}   (in schema.sql, not in the migrated database)`,
      ].sort(),
    );
  }, 60_000);
});
