/**
 * The setup the gallery's API tests share (gallery.list, the bulk actions): a harness with a worker, the
 * owner's jobs and one job of another account's, all run to success before the first test.
 */
import type { JobRequestInput, JobView } from '@darkroom/core';
import type { TRPCError } from '@trpc/server';
import { makeHarness, type Harness } from './harness.js';

export interface GalleryHarness {
  h: Harness;
  /** other@example.com, the owner of `theirs`. */
  other: Awaited<ReturnType<Harness['makeUser']>>;
  /** The owner's jobs, as submitted (each has since succeeded), in `requests` order. */
  mine: JobView[];
  /** Another account's one-image job ("not yours"), as submitted. */
  theirs: JobView;
}

/** Submits `requests` as the owner, one after another, then starts a worker and waits for every job. */
export async function makeGalleryHarness(requests: readonly JobRequestInput[]): Promise<GalleryHarness> {
  const h = await makeHarness();
  try {
    const other = await h.makeUser('other@example.com');
    const mine: JobView[] = [];
    for (const request of requests) mine.push(await h.caller.jobs.create(request));
    const theirs = await other.caller.jobs.create({ prompt: 'not yours', numImages: 1, provider: 'local' });
    await h.startWorker();
    for (const [caller, job] of [...mine.map((job) => [h.caller, job] as const), [other.caller, theirs] as const])
      for (let view = job; view.status !== 'succeeded'; view = await caller.jobs.get({ id: job.id })) {
        if (['failed', 'canceled'].includes(view.status)) throw new Error(`job ${job.id} ${view.status}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    return { h, other, mine, theirs };
  } catch (error) {
    await h.close();
    throw error;
  }
}

/** The tRPC code a call was refused with, or 'OK'. */
export const trpcCodeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'OK',
    (error: TRPCError) => error.code,
  );
