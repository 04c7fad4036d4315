/**
 * After a submit (generate, vary, upscale, retry): print the id, or wait with progress on stderr, save
 * the images (and, with --previews, each preview as it arrives) and exit by the job's outcome.
 */
import { WaitTimeout } from '@darkroom/client';
import { isTerminalStatus, type JobView } from '@darkroom/core';
import { print, type CommandContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { makeProgressReporter } from './progress.js';
import { savePreview, saveImages } from './save.js';

/** The flags every submitting command takes. */
export interface WaitFlags {
  /** false with --no-wait. */
  wait: boolean;
  out?: string;
  /** Seconds. */
  timeout?: number;
  previews?: string;
}

export async function follow(context: CommandContext, flags: WaitFlags, submitted: JobView): Promise<number> {
  if (!flags.wait) {
    print(context, submitted, () => submitted.id);
    return EXIT.OK;
  }
  const progress = makeProgressReporter(context.io.stderr, { quiet: context.quiet });
  progress.update(submitted);
  const previewFiles: string[] = [];
  let job: JobView;
  try {
    job = await context.darkroom.wait(submitted.id, {
      onProgress: (view) => progress.update(view),
      ...(flags.previews !== undefined
        ? {
            onPreview: async (preview) => {
              const file = await savePreview(preview, flags.previews!);
              if (file) previewFiles.push(file);
            },
          }
        : {}),
      ...(flags.timeout !== undefined ? { timeoutMs: flags.timeout * 1000 } : {}),
    });
  } catch (error) {
    progress.done();
    if (error instanceof WaitTimeout) {
      context.io.stderr.write(`darkroom: ${error.message}; follow it with: darkroom status ${submitted.id}\n`);
      if (context.json)
        context.io.stdout.write(
          `${JSON.stringify({ error: { code: 'TIMEOUT', message: error.message, exitCode: EXIT.JOB_FAILED }, jobId: submitted.id })}\n`,
        );
      return EXIT.JOB_FAILED;
    }
    throw error;
  }
  progress.done();
  const files =
    flags.out !== undefined ? await saveImages({ url: context.url, apiKey: context.apiKey, job, dir: flags.out }) : [];
  print(context, { job, files, ...(flags.previews !== undefined ? { previews: previewFiles } : {}) }, () =>
    [
      summary(job),
      ...(files.length ? files : job.images.filter((image) => image.url).map((image) => `${context.url}${image.url}`)),
    ].join('\n'),
  );
  return job.status === 'succeeded' ? EXIT.OK : EXIT.JOB_FAILED;
}

export function summary(job: JobView): string {
  const where = isTerminalStatus(job.status)
    ? ''
    : job.status === 'queued'
      ? ` (position ${job.queuePosition ?? '?'})`
      : ` (${job.stage ?? 'starting'})`;
  const error = job.error ? `\n  error: ${job.error.code}: ${job.error.message}` : '';
  return `${job.id} ${job.status}${where} ${job.progress}%, ${job.counts.succeeded}/${job.numImages} images, ${job.preset}: ${truncate(job.prompt, 60)}${error}`;
}

export function truncate(text: string, length: number) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
