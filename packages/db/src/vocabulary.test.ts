import { PRESETS } from '@darkroom/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './testing/index.js';
import { COLUMN_VOCABULARIES, ENUM_VOCABULARIES, vocabularyProblems } from './vocabulary.js';

let database: TestDatabase;
let client: pg.Client;
beforeAll(async () => {
  database = await createTestDatabase();
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
});
afterAll(async () => {
  await client.end();
  await database.drop();
});

describe("the database's vocabularies are core's", () => {
  it("every column holding a preset, provider, aspect ratio, quality or output format allows exactly core's list, and every enum is its core list", async () => {
    expect(COLUMN_VOCABULARIES.map(({ table, column }) => `${table}.${column}`)).toEqual([
      'jobs.preset',
      'jobs.provider',
      'jobs.aspect_ratio',
      'jobs.quality',
      'jobs.output_format',
      'jobs.moderation',
      'images.provider',
    ]);
    expect(ENUM_VOCABULARIES.map((e) => e.type)).toEqual([
      'JobStatus',
      'JobStage',
      'ImageStatus',
      'Priority',
      'CreditEntryKind',
      'Role',
    ]);
    expect(await vocabularyProblems(client)).toEqual([]);
  });

  it('names a value added to core without a migration, one dropped from core, and an enum that differs', async () => {
    const columns = COLUMN_VOCABULARIES.map((v) =>
      v.table === 'jobs' && v.column === 'preset'
        ? { ...v, values: [...PRESETS.filter((p) => p !== 'photo'), 'poster'] }
        : v,
    );
    const enums = ENUM_VOCABULARIES.map((e) =>
      e.type === 'Priority' ? { ...e, values: ['low', 'normal', 'high', 'urgent', 'whenever'] } : e,
    );

    const problems = await vocabularyProblems(client, columns, enums);

    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(
      /^jobs\.preset: core's PRESETS has 'poster', which the database refuses; write a migration/,
    );
    expect(problems[0]).toContain(`ADD CONSTRAINT "jobs_preset_check" CHECK ("preset" IN ('coloring-page'`);
    expect(problems[0]).toContain(`'poster'));`);
    expect(problems[1]).toMatch(/^jobs\.preset: the database allows 'photo', which core's PRESETS lacks/);
    expect(problems[2]).toMatch(
      /^enum "Priority" is \(low, normal, high, urgent\) but core's PRIORITIES is \(.*whenever\)/,
    );
  });

  it('names a column that has no CHECK at all', async () => {
    const problems = await vocabularyProblems(
      client,
      [{ table: 'job_events', column: 'type', source: 'JOB_EVENT_TYPES', values: ['created'] }],
      [],
    );
    expect(problems).toEqual([
      expect.stringMatching(/^job_events\.type: no CHECK job_events_type_check; write a migration/),
    ]);
  });
});
