/**
 * Progress of a job on stderr: a cli-progress bar redrawn in place on a terminal, plain lines (one per
 * change) when stderr is a pipe or a file, so logs stay readable. Both say the same: the queue place and
 * wait while queued; the stage, each running image's step and the images done while running.
 */
import cliProgress from 'cli-progress';
import type { JobView } from '@darkroom/core';

export interface ProgressReporter {
  update(job: JobView): void;
  /** Ends the bar's line; also when the wait failed, so the error starts on its own line. */
  done(): void;
}

/** Running images named one by one in the line; more are counted. */
const SHOWN_IMAGES = 3;

export function makeProgressReporter(
  stream: NodeJS.WriteStream,
  { quiet = false }: { quiet?: boolean } = {},
): ProgressReporter {
  if (quiet) return { update: () => undefined, done: () => undefined };
  let last = '';
  if (!stream.isTTY)
    return {
      update(job) {
        const line = describe(job);
        if (line === last) return;
        last = line;
        stream.write(`${line}\n`);
      },
      done: () => undefined,
    };
  let bar: cliProgress.SingleBar | null = null;
  return {
    update(job) {
      const line = describe(job);
      if (line === last) return;
      last = line;
      if (!bar) {
        bar = new cliProgress.SingleBar({
          stream,
          format: '[{bar}] {line}',
          barsize: 24,
          barCompleteChar: '#',
          barIncompleteChar: '.',
          hideCursor: false,
          linewrap: false,
          clearOnComplete: false,
          stopOnComplete: false,
          fps: 10,
        });
        bar.start(100, job.progress, { line });
      } else bar.update(job.progress, { line });
    },
    done() {
      bar?.stop();
      bar = null;
    },
  };
}

/** One line for a state of the job, e.g. `40% running: generating, image 2/4 step 2/3, 1/4 images`. */
export function describe(job: JobView): string {
  const images = `${job.counts.succeeded}/${job.numImages} images`;
  if (job.status === 'queued') {
    const wait = job.estimatedWaitSeconds === null ? '' : `, ~${Math.ceil(job.estimatedWaitSeconds)} s`;
    return `${job.progress}% queued (position ${job.queuePosition ?? '?'}${wait})`;
  }
  if (job.status === 'running') {
    const running = job.images.filter((image) => image.status === 'running');
    const steps = running.slice(0, SHOWN_IMAGES).map((image) => {
      const name = `image ${image.index + 1}/${job.numImages}`;
      const { step, steps: of } = image.preview ?? { step: null, steps: null };
      if (step !== null && of !== null) return `${name} step ${step}/${of}`;
      return image.progress > 0 ? `${name} ${image.progress}%` : name;
    });
    if (running.length > SHOWN_IMAGES) steps.push(`${running.length - SHOWN_IMAGES} more running`);
    return `${job.progress}% running: ${[job.stage ?? 'starting', ...steps, images].join(', ')}`;
  }
  return `${job.progress}% ${job.status}, ${images}${job.error ? ` (${job.error.code}: ${job.error.message})` : ''}`;
}
