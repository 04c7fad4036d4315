// Shared by dump-schema.mjs and new-migration.mjs: migrate the (empty) database at `url`, then write
// its dump to packages/db/schema.sql. Answers what it did, for the console.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { applyMigrations } from '../dist/migrate.js';
import { dumpSchema, SCHEMA_DUMP_PATH } from '../dist/schema-dump.js';

export async function writeSchemaDump(url) {
  await applyMigrations(url);
  const dump = await dumpSchema(url);
  const where = path.relative(process.cwd(), SCHEMA_DUMP_PATH) || SCHEMA_DUMP_PATH;
  if (existsSync(SCHEMA_DUMP_PATH) && readFileSync(SCHEMA_DUMP_PATH, 'utf8') === dump) return `${where} is up to date`;
  writeFileSync(SCHEMA_DUMP_PATH, dump);
  return `wrote ${where}`;
}
