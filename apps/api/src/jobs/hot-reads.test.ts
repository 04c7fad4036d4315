import type { TRPCError } from '@trpc/server';
import { pgPoolOf } from '@darkroom/db';
import { countStatements, makeJob } from '@darkroom/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';
import { hotJobView, hotServableImage } from './hot-reads.js';
import { findJobView } from './read.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

const viaPrisma = (where: { id: string; userId?: string }) => findJobView(h.db, where);
const unused = () => Promise.reject(new Error('the hot read fell back to Prisma'));

/** Jobs in every shape a view shows, driven there by writing their rows as the worker would. */
async function jobsOfEveryShape() {
  const queued = await makeJob({ db: h.db, user: h.user, request: { prompt: 'still queued', numImages: 2 } });
  const rich = await makeJob({
    db: h.db,
    user: h.user,
    request: {
      prompt: 'a lighthouse "quoted" \\ and ünïcode ✓',
      negativePrompt: 'fog',
      numImages: 3,
      seed: 42,
      projectId: 'book-1',
      pageId: 'p-7',
      metadata: { chapter: 3, tags: ['a', 'b'], nested: { ok: true } },
    },
  });
  await h.db.$executeRaw`update jobs set status = 'running', stage = 'generating', progress = 40,
    started_at = now(), engine_options = '{"steps": 20}'::jsonb,
    "references" = '[{"source":"upload","id":"r1","palette":["#112233"],"tags":["x"]}]'::jsonb,
    input_options = '{"referenceMode":"style"}'::jsonb where id = ${rich.id}::uuid`;
  await h.db.$executeRaw`update images set status = 'succeeded', storage_key = 'k/' || id, thumbnail_key = 't/' || id,
    mime = 'image/png', width = 512, height = 512, bytes = 1234, seed = 7, prompt = 'exact', attempts = 1,
    model = 'mock/1', finished_at = now() where job_id = ${rich.id}::uuid and index = 0`;
  await h.db.$executeRaw`update images set status = 'failed', error_code = 'provider_error',
    error_message = 'it broke', finished_at = now() where job_id = ${rich.id}::uuid and index = 1`;
  await h.db.$executeRaw`update images set status = 'running', progress = 30, preview_version = 2,
    preview_step = 6, preview_steps = 20, started_at = now() where job_id = ${rich.id}::uuid and index = 2`;
  const source = (await h.db.image.findFirstOrThrow({ where: { jobId: rich.id, index: 0 } })).id;
  await h.db.$executeRaw`insert into job_inputs (id, job_id, slot, position, role, image_id, storage_key,
    thumbnail_key, mime, width, height) values
    (gen_random_uuid(), ${rich.id}::uuid, 'references', 1, 'style', ${source}::uuid, 's2', null, 'image/png', 64, 64),
    (gen_random_uuid(), ${rich.id}::uuid, 'references', 0, null, null, 's1', 't1', 'image/jpeg', 32, 48),
    (gen_random_uuid(), ${rich.id}::uuid, 'image', 0, null, ${source}::uuid, 's0', 't0', 'image/png', 512, 512)`;
  const failed = await makeJob({ db: h.db, user: h.user, request: { prompt: 'doomed' } });
  await h.db.$executeRaw`update jobs set status = 'failed', error_code = 'provider_error', error_message = 'no',
    error_retryable = true, finished_at = now(), attempts = 3, credits_reserved = 0 where id = ${failed.id}::uuid`;
  return [queued, rich, failed];
}

describe('the hot job read', () => {
  it('runs on the pool of the Prisma client', () => {
    expect(pgPoolOf(h.db)).toBeDefined();
  });

  it('answers exactly what the Prisma read answers, for every shape of job, queued place included', async () => {
    const jobs = await jobsOfEveryShape();
    for (const job of jobs) {
      const hot = await hotJobView(h.db, { id: job.id, userId: h.user.id }, unused);
      expect(hot).not.toBeNull();
      expect(hot).toEqual(await viaPrisma({ id: job.id, userId: h.user.id }));
      // An admin's read (no owner) sees the same.
      expect(await hotJobView(h.db, { id: job.id }, unused)).toEqual(hot);
    }
    const rich = (await hotJobView(h.db, { id: jobs[1]!.id, userId: h.user.id }, unused))!;
    expect(rich.inputs.map((input) => [input.slot, input.position])).toEqual([
      ['image', 0],
      ['references', 0],
      ['references', 1],
    ]);
    expect(rich.images.map((image) => image.status)).toEqual(['succeeded', 'failed', 'running']);
    expect((await hotJobView(h.db, { id: jobs[0]!.id }, unused))!.queuePosition).not.toBeNull();
  });

  it("finds nothing for another user's job, a missing id, or ids that are not UUIDs", async () => {
    const other = await h.makeUser('hot-other@example.com');
    const theirs = await makeJob({ db: h.db, user: other.user, request: { prompt: 'theirs' } });
    expect(await hotJobView(h.db, { id: theirs.id, userId: h.user.id }, unused)).toBeNull();
    expect(
      await hotJobView(h.db, { id: '00000000-0000-4000-8000-000000000000', userId: h.user.id }, unused),
    ).toBeNull();
    for (const hostile of ["' or 1=1 --", `${theirs.id}' or '1'='1`, 'x'.repeat(10_000), '\u0000', '']) {
      // Not a UUID: the read takes Prisma's road, as it did before (callers validate with JobRef anyway).
      let fellBack = false;
      const view = await hotJobView(h.db, { id: hostile, userId: h.user.id }, async () => {
        fellBack = true;
        return null;
      });
      expect([view, fellBack]).toEqual([null, true]);
    }
    const error = await h.caller.jobs.get({ id: theirs.id }).catch((e: unknown) => e);
    expect([(error as TRPCError).code, (error as TRPCError).message]).toEqual([
      'NOT_FOUND',
      `job ${theirs.id} not found`,
    ]);
  });

  it('reads a finished job in one statement', async () => {
    const job = await makeJob({ db: h.db, user: h.user, request: { prompt: 'one statement' } });
    await h.db
      .$executeRaw`update jobs set status = 'succeeded', finished_at = now(), credits_reserved = 0 where id = ${job.id}::uuid`;
    const { statements } = await countStatements(() => h.caller.jobs.get({ id: job.id }));
    expect(statements).toBe(1);
  });

  it("finds a servable image as the Prisma read does: own, another user's, unfinished, any owner's", async () => {
    const other = await h.makeUser('hot-images@example.com');
    const mine = await makeJob({ db: h.db, user: h.user, request: { prompt: 'my images', numImages: 2 } });
    const theirs = await makeJob({ db: h.db, user: other.user, request: { prompt: 'their image' } });
    await h.db.$executeRaw`update images set status = 'succeeded', storage_key = 'k/' || id, mime = 'image/png',
      bytes = 10, finished_at = now() where (job_id = ${mine.id}::uuid and index = 0) or job_id = ${theirs.id}::uuid`;
    const images = await h.db.image.findMany({ where: { jobId: { in: [mine.id, theirs.id] } } });
    const prisma = (id: string, userId?: string) =>
      h.db.image.findFirst({
        where: { id, status: 'succeeded', ...(userId ? { job: { userId } } : {}) },
        select: { id: true, storageKey: true, thumbnailKey: true, mime: true, bytes: true },
      });
    const found: string[] = [];
    for (const image of images) {
      for (const userId of [h.user.id, other.user.id, undefined]) {
        const hot = await hotServableImage(h.db, { id: image.id, userId }, unused);
        expect(hot).toEqual(await prisma(image.id, userId));
        if (hot) found.push(`${image.jobId === mine.id ? 'mine' : 'theirs'}:${image.index}:${userId ?? 'any'}`);
      }
    }
    // The pending image is never served; each finished one only to its owner, or to anyone unowned.
    const me = h.user.id;
    const them = other.user.id;
    expect(found.sort()).toEqual([`mine:0:${me}`, 'mine:0:any', `theirs:0:${them}`, 'theirs:0:any'].sort());
  });
});
