import { describe, expect, it } from 'vitest';
import { JobRequest, MODERATION_LEVELS, moderationWithin } from './job.js';

describe('moderation levels', () => {
  it('keeps a request at or above the floor, and raises one below it to the floor', () => {
    const table = MODERATION_LEVELS.flatMap((floor) =>
      MODERATION_LEVELS.map((requested) => `${requested}/${floor}=${moderationWithin(requested, floor)}`),
    );

    expect(table).toEqual([
      'strict/strict=strict',
      'standard/strict=strict',
      'relaxed/strict=strict',
      'strict/standard=strict',
      'standard/standard=standard',
      'relaxed/standard=standard',
      'strict/relaxed=strict',
      'standard/relaxed=standard',
      'relaxed/relaxed=relaxed',
    ]);
  });

  it('takes the three levels in a request, leaves it unset by default, and names the field otherwise', () => {
    expect(JobRequest.parse({ prompt: 'x', moderation: 'relaxed' }).moderation).toBe('relaxed');
    expect(JobRequest.parse({ prompt: 'x' }).moderation).toBeUndefined();

    for (const bad of ['low', 'auto', 'STRICT', '', 0, null]) {
      const result = JobRequest.safeParse({ prompt: 'x', moderation: bad });
      expect(result.success).toBe(false);
      expect(result.error!.issues[0]!.path).toEqual(['moderation']);
    }
  });
});
