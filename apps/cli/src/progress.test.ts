import type { ImageView, JobView } from '@darkroom/core';
import { describe, expect, it } from 'vitest';
import { describe as describeJob, makeProgressReporter } from './progress.js';

function recorder(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = { isTTY, columns: 120, write: (chunk: string) => chunks.push(chunk) > 0 };
  return { stream: stream as unknown as NodeJS.WriteStream, chunks };
}

const image = (index: number, over: Partial<ImageView> = {}) =>
  ({ id: `image-${index}`, index, status: 'queued', progress: 0, preview: null, ...over }) as ImageView;

const job = (over: Partial<JobView>) =>
  ({
    status: 'running',
    stage: 'generating',
    progress: 50,
    numImages: 4,
    counts: { succeeded: 2, failed: 0 },
    queuePosition: null,
    estimatedWaitSeconds: null,
    error: null,
    images: [],
    ...over,
  }) as JobView;

describe('progress on stderr', () => {
  it('names each running image with its step (or its percent), then the images done', () => {
    const running = job({
      progress: 40,
      images: [
        image(0, { status: 'succeeded', progress: 100 }),
        image(1, { status: 'running', progress: 66, preview: { url: '/p', step: 12, steps: 30 } }),
        image(2, { status: 'running', progress: 20 }),
        image(3, { status: 'running' }),
      ],
    });

    expect(describeJob(running)).toBe(
      '40% running: generating, image 2/4 step 12/30, image 3/4 20%, image 4/4, 2/4 images',
    );
  });

  it('says the queue place and the wait while queued, and the outcome at the end', () => {
    const queued = job({ status: 'queued', stage: null, progress: 0, queuePosition: 3, estimatedWaitSeconds: 12.2 });
    const failed = job({
      status: 'failed',
      progress: 100,
      error: { code: 'content_filtered', message: 'refused' } as JobView['error'],
    });

    expect(describeJob(queued)).toBe('0% queued (position 3, ~13 s)');
    expect(describeJob(failed)).toBe('100% failed, 2/4 images (content_filtered: refused)');
  });

  it('draws a bar on a terminal (cli-progress) and ends its line when done', () => {
    const { stream, chunks } = recorder(true);
    const progress = makeProgressReporter(stream);

    progress.update(job({ progress: 50 }));
    progress.update(job({ status: 'succeeded', stage: null, progress: 100, counts: { succeeded: 4, failed: 0 } }));
    progress.done();

    const output = chunks.join('');
    expect(output).toContain('[############............] 50% running: generating, 2/4 images');
    expect(output).toContain('[########################] 100% succeeded, 4/4 images');
    expect(output.endsWith('\n')).toBe(true);
  });

  it('writes one plain line per change when not a terminal, and nothing with quiet', () => {
    const plain = recorder(false);
    const quiet = recorder(false);
    const progress = makeProgressReporter(plain.stream);
    progress.update(job({ status: 'queued', stage: null, progress: 0, queuePosition: 3, estimatedWaitSeconds: 12.2 }));
    progress.update(job({ progress: 25 }));
    progress.update(job({ progress: 25 }));
    progress.done();
    makeProgressReporter(quiet.stream, { quiet: true }).update(job({}));

    expect(plain.chunks).toEqual(['0% queued (position 3, ~13 s)\n', '25% running: generating, 2/4 images\n']);
    expect(quiet.chunks).toEqual([]);
  });
});
