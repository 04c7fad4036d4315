import type { JobView } from '@darkroom/core';
import { describe, expect, it } from 'vitest';
import { makeProgressReporter } from './progress.js';

function recorder(isTTY: boolean) {
  const chunks: string[] = [];
  return { stream: { isTTY, write: (chunk: string) => chunks.push(chunk) } as unknown as NodeJS.WriteStream, chunks };
}

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
    ...over,
  }) as JobView;

describe('progress on stderr', () => {
  it('redraws one bar in place on a terminal and ends the line when done', () => {
    const { stream, chunks } = recorder(true);
    const progress = makeProgressReporter(stream);

    progress.update(job({ progress: 50 }));
    progress.update(job({ progress: 50 }));
    progress.update(job({ status: 'succeeded', stage: null, progress: 100, counts: { succeeded: 4, failed: 0 } }));
    progress.done();

    expect(chunks).toEqual([
      `\r[############............] 50% running: generating, 2/4 images\x1b[K`,
      `\r[########################] 100% succeeded, 4/4 images\x1b[K`,
      '\n',
    ]);
  });

  it('writes one plain line per change when not a terminal, and nothing with quiet', () => {
    const plain = recorder(false);
    const quiet = recorder(false);
    for (const { stream } of [plain]) {
      const progress = makeProgressReporter(stream);
      progress.update(
        job({ status: 'queued', stage: null, progress: 0, queuePosition: 3, estimatedWaitSeconds: 12.2 }),
      );
      progress.update(job({ progress: 25 }));
      progress.done();
    }
    makeProgressReporter(quiet.stream, { quiet: true }).update(job({}));

    expect(plain.chunks).toEqual(['0% queued (position 3, ~13 s)\n', '25% running: generating, 2/4 images\n']);
    expect(quiet.chunks).toEqual([]);
  });
});
