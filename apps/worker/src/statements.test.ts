/**
 * What one job costs the database on the worker's side: the statements of a one-image run, counted at
 * the driver (BEGIN and COMMIT included). The ceiling is what it costs now: a change that adds a round
 * trip to every job must say so here. The note of issue 14 records the count before the lifecycle module.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countStatements, createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { createLocalProvider } from '@darkroom/providers';
import { createFilesystemStorage } from '@darkroom/storage';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from './pipeline.js';

let database: TestDatabase;
let userId: string;
beforeAll(async () => {
  database = await createTestDatabase();
  userId = (await database.db.user.create({ data: { email: 'statements@example.com', creditBalance: 100 } })).id;
});
afterAll(() => database.drop());

/**
 * Statements a one-image run of the local provider sends (measured: see the issue 14 note): the claim
 * (answering the claimed row), the reference search, the images' read, the prompts' write, the image's
 * start, its stored write and the end (darkroom_end_job). 13 before issue 20 made the end one statement
 * (it was BEGIN, a locked read, the settlement's read and write, the `finished` write and COMMIT) and the
 * claim answer its row; 15 before the ledger entries were folded into the settlement and the references,
 * prompts and stages into one write.
 */
const RUN_CEILING = 7;

describe('statements per job', () => {
  it(`a one-image run costs at most ${RUN_CEILING} statements`, async () => {
    const storage = createFilesystemStorage({ root: mkdtempSync(path.join(os.tmpdir(), 'darkroom-statements-')) });
    const deps = {
      db: database.db,
      storage,
      providerFor: () => createLocalProvider(),
      log: pino({ level: 'silent' }),
      workerId: 'count',
      imageConcurrency: 1,
      // The cancel check is a poll on a timer (every 500 ms without the change feed), so how many of them
      // a run sends depends on how long it takes on a busy machine, not on what the run costs: keep it out.
      cancelCheckMs: 600_000,
    };
    const job = await database.db.job.create({
      data: {
        userId,
        preset: 'illustration',
        prompt: 'count me',
        aspectRatio: '1:1',
        width: 256,
        height: 256,
        provider: 'local',
        numImages: 1,
        creditPrice: 10,
        creditsReserved: 10,
        images: { create: [{ index: 0 }] },
      },
    });
    // Warm: the first query of a client prepares its connection.
    await database.db.$queryRaw`select 1`;

    const { statements, texts } = await countStatements(() => runJob(deps, job.id));

    console.log(
      `worker: a one-image run sent ${statements} statements\n  ${texts.map((text) => text.replace(/\s+/g, ' ').slice(0, 100)).join('\n  ')}`,
    );
    expect((await database.db.job.findUniqueOrThrow({ where: { id: job.id } })).status).toBe('succeeded');
    expect(statements).toBeLessThanOrEqual(RUN_CEILING);
  });
});
