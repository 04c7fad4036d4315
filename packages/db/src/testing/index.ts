/**
 * Real Postgres for tests: one cluster per vitest run (embedded, or the one `DATABASE_URL` names), a
 * template database migrated once, and a fresh copy of it for each test file. Nothing is mocked. A test
 * file that does not drop what it created fails (vitest.leak-check.ts).
 *
 *   // vitest.config.ts: test.globalSetup = ['./test/global-setup.ts'] re-exporting setup/teardown
 *   const database = await createTestDatabase();   // in a test file
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trackResource } from '@darkroom/core/tracked-resources';
import pg from 'pg';
import { inject } from 'vitest';
import type { TestProject } from 'vitest/node';
import { makeDb, type Db } from '../client.js';
import { createDatabaseIfMissing, startEmbeddedPostgres, type EmbeddedPostgres } from '../embedded.js';
import { migrateDatabase } from '../migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    darkroomAdminUrl: string;
    darkroomTemplate: string;
  }
}

const TEMPLATE = 'darkroom_template';
let cluster: EmbeddedPostgres | undefined;
let clusterDir: string | undefined;

/** vitest globalSetup: start (or reach) Postgres and migrate the template database. */
export async function setup(project: TestProject) {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    clusterDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-test-pg-'));
    cluster = await startEmbeddedPostgres({
      dataDir: path.join(clusterDir, 'pg'),
      ephemeral: true,
      database: 'postgres',
    });
    adminUrl = cluster.url;
  }
  const template = process.env.DATABASE_URL ? `${TEMPLATE}_${randomBytes(4).toString('hex')}` : TEMPLATE;
  await createDatabaseIfMissing(adminUrl, template);
  await migrateDatabase(withDatabase(adminUrl, template));
  project.provide('darkroomAdminUrl', adminUrl);
  project.provide('darkroomTemplate', template);
}

export async function teardown() {
  await cluster?.stop();
  if (clusterDir) rmSync(clusterDir, { recursive: true, force: true });
}

export interface TestDatabase {
  url: string;
  name: string;
  db: Db;
  /** Disconnects and drops the database. */
  drop(): Promise<void>;
}

/** A fresh, migrated database for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('darkroomAdminUrl');
  const template = inject('darkroomTemplate');
  const name = `test_${randomBytes(6).toString('hex')}`;
  await createDatabaseIfMissing(adminUrl, name, template);
  const url = withDatabase(adminUrl, name);
  const db = makeDb({ url, poolSize: 5 });
  return {
    url,
    name,
    db,
    drop: trackResource(`test database ${name} (and its pool)`, async () => {
      await db.$disconnect();
      await dropDatabase(adminUrl, name);
    }),
  };
}

/** An empty database (no migrations) on the test cluster, for migration tests. */
export async function createEmptyDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = inject('darkroomAdminUrl');
  const name = `empty_${randomBytes(6).toString('hex')}`;
  await createDatabaseIfMissing(adminUrl, name);
  return {
    url: withDatabase(adminUrl, name),
    drop: trackResource(`empty test database ${name}`, () => dropDatabase(adminUrl, name)),
  };
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
  } finally {
    await client.end();
  }
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
export { countStatements, dyingBefore } from './statements.js';
export { makeJob, type MakeJobOptions } from './jobs.js';
