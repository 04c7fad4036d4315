#!/usr/bin/env node
// pnpm --filter @darkroom/db run schema:dump
// Migrates a throwaway embedded Postgres from prisma/migrations and writes packages/db/schema.sql
// (see src/schema-dump.ts). `pnpm db:migration` runs the same after writing a migration.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../dist/embedded.js';
import { writeSchemaDump } from './schema-dump-file.mjs';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-schema-dump-pg-'));
const postgres = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg'), ephemeral: true });
try {
  console.log(await writeSchemaDump(postgres.url));
} finally {
  await postgres.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
