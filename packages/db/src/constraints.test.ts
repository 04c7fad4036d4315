import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from './credits.js';
import { makeDb } from './client.js';
import { applyMigrations, DEFAULT_MIGRATIONS_DIR } from './migrate.js';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from './testing/index.js';

/** The migrations that added the CHECKs; everything before them is "a database written by earlier code". */
const CHECK_MIGRATIONS = ['20261205084500_vocabulary_checks', '20261205084600_lifecycle_checks'];

let database: TestDatabase;
let client: pg.Client;
let userId: string;
beforeAll(async () => {
  database = await createTestDatabase();
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const user = await client.query(
    `insert into users (id, email, updated_at) values (gen_random_uuid(), 'checks@x.y', now()) returning id`,
  );
  userId = user.rows[0].id;
});
afterAll(async () => {
  await client.end();
  await database.drop();
});

/** A queued job with one pending image, as accept writes it. */
async function queuedJob() {
  const job = await client.query(
    `insert into jobs (id, user_id, preset, prompt, aspect_ratio, width, height, provider, num_images, credits_reserved, updated_at)
     values (gen_random_uuid(), $1, 'photo', 'a lighthouse', '1:1', 8, 8, 'mock', 1, 2, now()) returning id`,
    [userId],
  );
  const id: string = job.rows[0].id;
  await client.query(`insert into images (id, job_id, index, updated_at) values (gen_random_uuid(), $1, 0, now())`, [
    id,
  ]);
  return id;
}

// Each statement breaks one rule on an otherwise valid row ($1: a queued job with a pending image).
const REFUSALS: [constraint: string, statement: string][] = [
  ['jobs_finished_at_when_terminal', `update jobs set status = 'failed', credits_reserved = 0 where id = $1`],
  ['jobs_finished_at_when_terminal', `update jobs set finished_at = now() where id = $1`],
  ['jobs_started_at_when_running', `update jobs set status = 'running' where id = $1`],
  ['jobs_credits_reserved_not_negative', `update jobs set credits_reserved = -1 where id = $1`],
  [
    'jobs_credits_reserved_zero_when_terminal',
    `update jobs set status = 'canceled', finished_at = now() where id = $1`,
  ],
  ['jobs_credits_charged_not_negative', `update jobs set credits_charged = -1 where id = $1`],
  ['jobs_credit_price_not_negative', `update jobs set credit_price = -1 where id = $1`],
  ['jobs_progress_percent', `update jobs set progress = 101 where id = $1`],
  ['jobs_num_images_positive', `update jobs set num_images = 0 where id = $1`],
  ['jobs_attempts_not_negative', `update jobs set attempts = -1 where id = $1`],
  ['jobs_preset_check', `update jobs set preset = 'poster' where id = $1`],
  ['jobs_provider_check', `update jobs set provider = 'midjourney' where id = $1`],
  ['jobs_aspect_ratio_check', `update jobs set aspect_ratio = '5:4' where id = $1`],
  ['jobs_quality_check', `update jobs set quality = 'ultra' where id = $1`],
  ['jobs_output_format_check', `update jobs set output_format = 'gif' where id = $1`],
  ['jobs_moderation_check', `update jobs set moderation = 'none' where id = $1`],
  ['images_provider_check', `update images set provider = 'dall-e' where job_id = $1`],
  [
    'images_finished_at_when_terminal',
    `update images set status = 'failed', error_code = 'transient' where job_id = $1`,
  ],
  ['images_finished_at_when_terminal', `update images set finished_at = now() where job_id = $1`],
  ['images_started_at_when_running', `update images set status = 'running' where job_id = $1`],
  ['images_succeeded_has_file', `update images set status = 'succeeded', finished_at = now() where job_id = $1`],
  ['images_attempts_not_negative', `update images set attempts = -1 where job_id = $1`],
  ['images_progress_range', `update images set progress = 101 where job_id = $1`],
  ['images_preview_step_range', `update images set preview_step = 31, preview_steps = 30 where job_id = $1`],
];

describe('CHECK constraints', () => {
  it.each(REFUSALS)('%s refuses: %s', async (constraint, statement) => {
    const jobId = await queuedJob();
    await expect(client.query(statement, [jobId])).rejects.toMatchObject({ code: '23514', constraint });
  });

  it('let the rows the lifecycle writes through: running, then ended with its timestamps and nothing held', async () => {
    const jobId = await queuedJob();
    await client.query(`update jobs set status = 'running', started_at = now(), attempts = 1 where id = $1`, [jobId]);
    await client.query(`update images set status = 'running', started_at = now() where job_id = $1`, [jobId]);
    await client.query(
      `update images set status = 'succeeded', storage_key = 'k', finished_at = now() where job_id = $1`,
      [jobId],
    );
    await client.query(
      `update jobs set credits_reserved = 0, status = 'succeeded', finished_at = now(), progress = 100 where id = $1`,
      [jobId],
    );
    // A retry takes it back to the queue: no finished_at, credits held again; started_at stays.
    await client.query(`update jobs set status = 'queued', finished_at = null, credits_reserved = 2 where id = $1`, [
      jobId,
    ]);
  });

  it('every CHECK in the database is one this file shows refusing a row', async () => {
    const { rows } = await client.query<{ name: string }>(
      `select conname as name from pg_constraint where connamespace = 'public'::regnamespace and contype = 'c' order by 1`,
    );
    expect(rows.map((row) => row.name)).toEqual([...new Set(REFUSALS.map(([name]) => name))].sort());
  });
});

describe('the CHECK migrations on a database with data', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  /** An empty database migrated up to just before the CHECKs, and a client on it. */
  async function beforeChecks() {
    const empty = await createEmptyDatabase();
    cleanups.push(empty.drop);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-before-checks-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    for (const name of readdirSync(DEFAULT_MIGRATIONS_DIR)) {
      if (/^\d/.test(name) && name >= CHECK_MIGRATIONS[0]!) continue;
      cpSync(path.join(DEFAULT_MIGRATIONS_DIR, name), path.join(dir, name), { recursive: true });
    }
    await applyMigrations(empty.url, dir);
    const before = new pg.Client({ connectionString: empty.url });
    await before.connect();
    cleanups.unshift(() => before.end());
    return { url: empty.url, client: before };
  }

  it('fixes up rows that break the lifecycle rules: timestamps from their last change, held credits refunded with a ledger entry', async () => {
    const { url, client: old } = await beforeChecks();
    const user = await old.query(
      `insert into users (id, email, credit_balance, updated_at) values (gen_random_uuid(), 'old@x.y', 7, now()) returning id`,
    );
    const owner = user.rows[0].id;
    await old.query(`insert into credit_entries (user_id, kind, amount, balance_after) values ($1, 'grant', 10, 10)`, [
      owner,
    ]);
    const insertJob = async (status: string, extra: string, values: string) => {
      const job = await old.query(
        `insert into jobs (id, user_id, preset, prompt, aspect_ratio, width, height, provider, num_images, status, updated_at${extra})
         values (gen_random_uuid(), $1, 'photo', 'old', '1:1', 8, 8, 'mock', 1, $2, '2026-01-02T03:04:05Z'${values}) returning id`,
        [owner, status],
      );
      return job.rows[0].id as string;
    };
    // Ended without finished_at and still holding the 3 credits it reserved.
    const ended = await insertJob('failed', ', credits_reserved', ', 3');
    await old.query(
      `insert into credit_entries (user_id, job_id, kind, amount, balance_after) values ($1, $2, 'reserve', -3, 7)`,
      [owner, ended],
    );
    const queued = await insertJob('queued', ', finished_at', `, now()`);
    const running = await insertJob('running', '', '');
    await old.query(
      `insert into images (id, job_id, index, status, updated_at) values
         (gen_random_uuid(), $1, 0, 'succeeded', '2026-01-02T03:04:05Z'),
         (gen_random_uuid(), $1, 1, 'pending', now()),
         (gen_random_uuid(), $2, 0, 'running', '2026-01-02T03:04:05Z')`,
      [ended, running],
    );
    await old.query(`update images set finished_at = now() where status = 'pending'`);

    const { applied } = await applyMigrations(url);

    expect(applied).toEqual(expect.arrayContaining(CHECK_MIGRATIONS));
    const jobs = await old.query(
      `select id, status::text, finished_at, started_at, credits_reserved from jobs order by status::text`,
    );
    const stamp = new Date('2026-01-02T03:04:05Z');
    expect(jobs.rows).toEqual([
      { id: ended, status: 'failed', finished_at: stamp, started_at: null, credits_reserved: 0 },
      { id: queued, status: 'queued', finished_at: null, started_at: null, credits_reserved: 0 },
      { id: running, status: 'running', finished_at: null, started_at: stamp, credits_reserved: 0 },
    ]);
    const images = await old.query(
      `select job_id, index, status::text, error_code, finished_at is not null as finished, started_at from images order by job_id, index`,
    );
    expect(images.rows).toEqual(
      expect.arrayContaining([
        { job_id: ended, index: 0, status: 'failed', error_code: 'internal', finished: true, started_at: null },
        { job_id: ended, index: 1, status: 'pending', error_code: null, finished: false, started_at: null },
        { job_id: running, index: 0, status: 'running', error_code: null, finished: false, started_at: stamp },
      ]),
    );
    const refund = await old.query(
      `select kind::text, amount, balance_after from credit_entries where job_id = $1 order by id`,
      [ended],
    );
    expect(refund.rows).toEqual([
      { kind: 'reserve', amount: -3, balance_after: 7 },
      { kind: 'refund', amount: 3, balance_after: 10 },
    ]);
    const db = makeDb({ url, poolSize: 1 });
    try {
      expect(await ledgerViolations(db)).toEqual([]);
    } finally {
      await db.$disconnect();
    }
  }, 60_000);

  it("stops, naming the constraint, on a value outside core's lists (validated, not guessed)", async () => {
    const { url, client: old } = await beforeChecks();
    const user = await old.query(
      `insert into users (id, email, updated_at) values (gen_random_uuid(), 'odd@x.y', now()) returning id`,
    );
    await old.query(
      `insert into jobs (id, user_id, preset, prompt, aspect_ratio, width, height, provider, num_images, updated_at)
       values (gen_random_uuid(), $1, 'poster', 'old', '1:1', 8, 8, 'mock', 1, now())`,
      [user.rows[0].id],
    );
    await expect(applyMigrations(url)).rejects.toThrow(
      /20261205084500_vocabulary_checks failed: check constraint "jobs_preset_check" of relation "jobs" is violated by some row/,
    );
  }, 60_000);
});
