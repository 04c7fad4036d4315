import { describe, expect, it } from 'vitest';
import { JobRequest, MAX_IMAGES_PER_JOB, MAX_METADATA_BYTES, pollDelay, sizeFor } from './index.js';

function issuesOf(input: unknown) {
  const result = JobRequest.safeParse(input);
  if (result.success) throw new Error('expected the request to be rejected');
  return result.error.issues.map((issue) => ({ path: issue.path.join('.'), code: issue.code }));
}

describe('JobRequest', () => {
  it('fills defaults and trims the prompt', () => {
    const request = JobRequest.parse({ prompt: '  a friendly dragon  ' });
    expect(request).toMatchObject({
      prompt: 'a friendly dragon',
      preset: 'illustration',
      numImages: 1,
      priority: 'normal',
      provider: 'local',
    });
  });

  it.each([
    ['empty prompt', { prompt: '' }, 'prompt', 'too_small'],
    ['whitespace-only prompt', { prompt: '   \n\t ' }, 'prompt', 'too_small'],
    ['4001-char prompt', { prompt: 'x'.repeat(4001) }, 'prompt', 'too_big'],
    ['numImages 0', { prompt: 'p', numImages: 0 }, 'numImages', 'too_small'],
    ['numImages 1000', { prompt: 'p', numImages: 1000 }, 'numImages', 'too_big'],
    ['unknown preset', { prompt: 'p', preset: 'oil-painting' }, 'preset', 'invalid_value'],
    ['unknown aspect ratio', { prompt: 'p', aspectRatio: '5:4' }, 'aspectRatio', 'invalid_value'],
    ['oversized metadata', { prompt: 'p', metadata: { blob: 'x'.repeat(MAX_METADATA_BYTES) } }, 'metadata', 'too_big'],
  ])('rejects %s at its field', (_name, input, path, code) => {
    expect(issuesOf(input)).toContainEqual({ path, code });
  });

  it('accepts the bounds themselves', () => {
    expect(JobRequest.safeParse({ prompt: 'x'.repeat(4000), numImages: MAX_IMAGES_PER_JOB }).success).toBe(true);
  });
});

describe('sizeFor', () => {
  it('puts 1024 px on the long side', () => {
    expect(sizeFor('1:1')).toEqual({ width: 1024, height: 1024 });
    expect(sizeFor('16:9')).toEqual({ width: 1024, height: 576 });
    expect(sizeFor('3:4')).toEqual({ width: 768, height: 1024 });
    expect(sizeFor('3:2', 512)).toEqual({ width: 512, height: 342 });
  });
});

describe('pollDelay', () => {
  it('starts at 1 s, grows x1.2 and stops at 5 s', () => {
    expect([0, 1, 2, 3].map((n) => pollDelay(n))).toEqual([1000, 1200, 1440, 1728]);
    expect(pollDelay(50)).toBe(5000);
  });
});
