/**
 * The `position` pass writes at most POSITION_EVENTS_PER_PASS events, head first: a long queue costs
 * each pass the same, and the jobs it passed over get theirs in the next passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSITION_EVENTS_PER_PASS, recordQueuePositions } from './positions.js';
import { createTestDatabase, type TestDatabase } from './testing/index.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe('recordQueuePositions', () => {
  it('writes at most POSITION_EVENTS_PER_PASS events a pass, in queue order, and the rest in the next ones', async () => {
    const { db } = database;
    const queued = POSITION_EVENTS_PER_PASS + POSITION_EVENTS_PER_PASS / 2;
    const owner = await db.user.create({ data: { email: 'queue@example.com' } });
    await db.$executeRaw`
      insert into jobs (id, user_id, preset, prompt, aspect_ratio, width, height, provider, num_images, status,
        queue_rank, attempts, credit_price, credits_reserved, credits_charged, created_at, updated_at, progress)
      select uuidv7(), ${owner.id}::uuid, 'illustration', 'queued ' || n, '1:1', 512, 512, 'mock', 1, 'queued',
        0, 0, 1, 1, 0, now() - interval '1 hour' + n * interval '1 ms', now(), 0
      from generate_series(1, ${queued}::int) n`;
    const placed = async () =>
      (
        await db.$queryRaw<{ position: number }[]>`
          select (e.data->>'position')::int as position from job_events e where e.type = 'position'
          order by position`
      ).map((row) => row.position);

    expect(await recordQueuePositions(db)).toBe(POSITION_EVENTS_PER_PASS);
    // The head's, places 0 to 99.
    expect(await placed()).toEqual(Array.from({ length: POSITION_EVENTS_PER_PASS }, (_, place) => place));
    // The head's places have not moved, so the next pass gives the rest theirs.
    expect(await recordQueuePositions(db)).toBe(queued - POSITION_EVENTS_PER_PASS);
    expect(await placed()).toEqual(Array.from({ length: queued }, (_, place) => place));
    expect(await recordQueuePositions(db)).toBe(0);
  });
});
