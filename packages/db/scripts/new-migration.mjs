#!/usr/bin/env node
// pnpm db:migration <name>
// Writes prisma/migrations/<UTC stamp>_<name>/migration.sql with the SQL that takes the database of the
// last migration to the sources: prisma/migrations/schema.snapshot.prisma to prisma/schema.prisma (Prisma's
// Wasm schema engine against a throwaway embedded Postgres, see src/schema-diff.ts), and
// prisma/migrations/sql.snapshot/ to packages/db/sql/ (src/sql-sources.ts: changed functions replaced,
// removed ones dropped). Then updates both snapshots and rewrites packages/db/schema.sql (the dump of a
// fully migrated database, src/schema-dump.ts).
// pnpm db:migration <name> --empty
// Writes a migration.sql holding only a comment, for SQL neither source can say (a CHECK, a data fix);
// write it, then run `pnpm --filter @darkroom/db run schema:dump`.
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffSchemas } from '../dist/schema-diff.js';
import { startEmbeddedPostgres } from '../dist/embedded.js';
import { readSqlSources, SQL_SOURCES_DIR, sqlSourcesMigration } from '../dist/sql-sources.js';
import { writeSchemaDump } from './schema-dump-file.mjs';

const [name, flag] = process.argv.slice(2);
const empty = flag === '--empty';
if (!name || !/^[a-z0-9_]+$/.test(name) || (flag !== undefined && !empty)) {
  console.error('usage: pnpm db:migration <name> [--empty]   (lowercase letters, digits and _)');
  process.exit(2);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const schema = path.join(root, 'prisma/schema.prisma');
const migrations = path.join(root, 'prisma/migrations');
const snapshot = path.join(migrations, 'schema.snapshot.prisma');
const sqlSnapshot = path.join(migrations, 'sql.snapshot');

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-migration-pg-'));
const postgres = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg'), ephemeral: true });
try {
  const tables = await diffSchemas({
    from: existsSync(snapshot) ? snapshot : 'empty',
    to: schema,
    databaseUrl: postgres.url,
  });
  const functions = sqlSourcesMigration(
    existsSync(sqlSnapshot) ? readSqlSources(sqlSnapshot) : [],
    readSqlSources(SQL_SOURCES_DIR),
  );
  // Removed functions go first (their triggers may be on columns Prisma drops), new ones last (their
  // bodies may use columns Prisma adds).
  const generated = [functions.drops, tables, functions.creates].filter(Boolean).join('\n');
  const sql =
    generated ||
    (empty ? '-- Hand-written (schema.prisma and packages/db/sql/ cannot say this): what it does and why.\n' : '');
  if (!sql) {
    console.log('schema.prisma and packages/db/sql/ match the last migration; nothing to write');
  } else {
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const dir = path.join(migrations, `${stamp}_${name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'migration.sql'), sql);
    writeFileSync(
      path.join(migrations, 'migration_lock.toml'),
      '# Written by packages/db/scripts/new-migration.mjs\nprovider = "postgresql"\n',
    );
    copyFileSync(schema, snapshot);
    rmSync(sqlSnapshot, { recursive: true, force: true });
    cpSync(SQL_SOURCES_DIR, sqlSnapshot, { recursive: true });
    console.log(`wrote ${path.relative(root, dir)}/migration.sql`);
    if (generated) console.log(await writeSchemaDump(postgres.url));
    else console.log('write its SQL, then run `pnpm --filter @darkroom/db run schema:dump`');
  }
} finally {
  await postgres.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
