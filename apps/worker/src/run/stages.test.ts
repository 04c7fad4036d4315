/**
 * The stages before generating, written in one statement: the references chosen, each image's prompt
 * and seed, and the job through `prompts` into `generating` with both stage events, in order.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lifecycle, queryHot } from '@darkroom/db';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { createLocalProvider } from '@darkroom/providers';
import { createFilesystemStorage } from '@darkroom/storage';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineDeps } from './deps.js';
import { runJob } from '../pipeline.js';
import { IMAGES_OF_JOB } from './hot.js';
import { chooseReferences, preparePrompts } from './stages.js';

let database: TestDatabase;
let userId: string;
let deps: PipelineDeps;
beforeAll(async () => {
  database = await createTestDatabase();
  userId = (await database.db.user.create({ data: { email: 'stages@example.com' } })).id;
  deps = {
    db: database.db,
    storage: createFilesystemStorage({ root: mkdtempSync(path.join(os.tmpdir(), 'darkroom-stages-')) }),
    providerFor: () => createLocalProvider(),
    log: pino({ level: 'silent' }),
    workerId: 'stages',
    imageConcurrency: 1,
  };
});
afterAll(() => database.drop());

async function claimedJob(prompt: string, numImages: number) {
  const { db } = database;
  const job = await db.job.create({
    data: {
      userId,
      preset: 'illustration',
      prompt,
      aspectRatio: '1:1',
      width: 256,
      height: 256,
      provider: 'local',
      numImages,
      images: { create: Array.from({ length: numImages }, (_, index) => ({ index })) },
    },
  });
  expect((await lifecycle.claimJob(db, job.id, 'stages', 0)).outcome).toBe('run');
  return db.job.findUniqueOrThrow({ where: { id: job.id } });
}

const stageEvents = async (jobId: string) =>
  (await database.db.jobEvent.findMany({ where: { jobId, type: 'stage' }, orderBy: { id: 'asc' } })).map(
    (event) => (event.data as { stage: string }).stage,
  );

describe('the stages before generating', () => {
  it('records the references, the prompts and both stages in one statement', async () => {
    const { db } = database;
    // An earlier result that matches, so the search finds something to record.
    await db.job.create({
      data: {
        userId,
        preset: 'illustration',
        prompt: 'a lighthouse at dusk',
        aspectRatio: '1:1',
        width: 256,
        height: 256,
        provider: 'local',
        numImages: 1,
        status: 'succeeded',
        finishedAt: new Date(),
        images: {
          create: [
            { index: 0, status: 'succeeded', storageKey: 'e/0.png', finishedAt: new Date(), palette: ['#112233'] },
          ],
        },
      },
    });
    const job = await claimedJob('a lighthouse in a storm', 2);
    const chosen = await chooseReferences(deps, job);
    expect(chosen.fresh).toBe(true);
    expect(chosen.references.map((reference) => reference.source)).toEqual(['result']);
    // Choosing writes nothing: the job still has no references and is still in its first stage.
    expect((await db.job.findUniqueOrThrow({ where: { id: job.id } })).references).toBeNull();

    const images = await preparePrompts(db, job, chosen);

    const after = await db.job.findUniqueOrThrow({ where: { id: job.id }, include: { images: true } });
    expect(after.stage).toBe('generating');
    expect(after.references).toEqual(chosen.references);
    expect(after.images.every((image) => image.prompt !== null && image.seed !== null)).toBe(true);
    expect(images.map((image) => image.prompt)).toEqual(after.images.map((image) => image.prompt));
    expect(await stageEvents(job.id)).toEqual(['references', 'prompts', 'generating']);
  });

  it('a resumed run keeps the references and prompts it had, and still passes through both stages', async () => {
    const { db } = database;
    const job = await claimedJob('nothing will match this', 2);
    const kept = [{ source: 'upload' as const, id: 'kept', palette: ['#000000'], tags: [], rank: 0.5 }];
    await db.job.update({ where: { id: job.id }, data: { references: kept } });
    await db.image.updateMany({ where: { jobId: job.id, index: 0 }, data: { prompt: 'written before', seed: 7 } });
    const resumed = await db.job.findUniqueOrThrow({ where: { id: job.id } });

    const chosen = await chooseReferences(deps, resumed);
    expect(chosen).toEqual({ references: kept, fresh: false });
    const images = await preparePrompts(db, resumed, chosen);

    expect(images.map((image) => image.prompt === 'written before')).toEqual([true, false]);
    const after = await db.job.findUniqueOrThrow({
      where: { id: job.id },
      include: { images: { orderBy: { index: 'asc' } } },
    });
    expect(after.references).toEqual(kept);
    expect([after.images[0]!.prompt, after.images[0]!.seed]).toEqual(['written before', 7]);
    expect(after.images[1]!.prompt).not.toBeNull();
    expect(await stageEvents(job.id)).toEqual(['references', 'prompts', 'generating']);
  });

  it('a run whose input file is gone still records its references and the prompts stage before it fails', async () => {
    const { db } = database;
    const job = await db.job.create({
      data: {
        userId,
        preset: 'illustration',
        prompt: 'an edit of a lost file',
        aspectRatio: '1:1',
        width: 256,
        height: 256,
        provider: 'local',
        kind: 'image-to-image',
        numImages: 1,
        images: { create: [{ index: 0 }] },
        inputs: {
          create: [
            { slot: 'image', position: 0, storageKey: 'gone/input.png', mime: 'image/png', width: 64, height: 64 },
          ],
        },
      },
    });

    expect(await runJob(deps, job.id)).toEqual({ kind: 'finished' });

    const after = await db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect([after.status, after.errorCode]).toEqual(['failed', 'invalid_request']);
    expect(after.references).toEqual([]);
    expect(await stageEvents(job.id)).toEqual(['references', 'prompts']);
  });

  it("reads a job's images off Prisma's runtime exactly as Prisma reads them (stored, failed and pending ones)", async () => {
    const job = await claimedJob('three ways', 3);
    await runJob(deps, job.id);
    const images = await database.db.image.findMany({ where: { jobId: job.id }, orderBy: { index: 'asc' } });
    await database.db.image.update({
      where: { id: images[1]!.id },
      data: { status: 'failed', errorCode: 'timeout', errorMessage: 'slow', palette: { dominant: '#fff' } },
    });
    await database.db.image.update({ where: { id: images[2]!.id }, data: { status: 'pending', finishedAt: null } });
    expect(await queryHot(database.db, IMAGES_OF_JOB, [job.id])).toEqual(
      await database.db.image.findMany({ where: { jobId: job.id }, orderBy: { index: 'asc' } }),
    );
  });
});
