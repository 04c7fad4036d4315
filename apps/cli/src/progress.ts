/**
 * Progress of a job on stderr: a bar redrawn in place on a terminal, plain lines (one per change)
 * when stderr is a pipe or a file, so logs stay readable.
 */
import type { JobView } from '@darkroom/core';

const WIDTH = 24;

export interface ProgressReporter {
  update(job: JobView): void;
  done(): void;
}

export function makeProgressReporter(
  stream: NodeJS.WriteStream,
  { quiet = false }: { quiet?: boolean } = {},
): ProgressReporter {
  if (quiet) return { update: () => undefined, done: () => undefined };
  let last = '';
  let drawn = false;
  return {
    update(job) {
      const line = describe(job);
      if (line === last) return;
      last = line;
      if (stream.isTTY) {
        const filled = Math.round((job.progress / 100) * WIDTH);
        stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${line}\x1b[K`);
        drawn = true;
      } else {
        stream.write(`${line}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\n');
    },
  };
}

function describe(job: JobView): string {
  const images = `${job.counts.succeeded}/${job.numImages} images`;
  if (job.status === 'queued') {
    const wait = job.estimatedWaitSeconds === null ? '' : `, ~${Math.ceil(job.estimatedWaitSeconds)} s`;
    return `${job.progress}% queued (position ${job.queuePosition ?? '?'}${wait})`;
  }
  if (job.status === 'running') return `${job.progress}% running: ${job.stage ?? 'starting'}, ${images}`;
  return `${job.progress}% ${job.status}, ${images}${job.error ? ` (${job.error.code}: ${job.error.message})` : ''}`;
}
