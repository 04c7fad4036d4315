/**
 * The job services the routes call (tRPC, REST, OpenAI-compatible), each inside its span. Wrapped here
 * rather than in the services so the services stay free of tracing. `job.accept` is the span whose
 * traceparent `darkroom_accept_job` stores on the row (create.ts and batch.ts pass the active context to accept), so the
 * worker's `job.run` joins the request's trace: one trace per job.
 */
import { ATTR, withSpan } from '@darkroom/telemetry';
import * as batch from './batch.js';
import * as cancelRetry from './cancel-retry.js';
import * as create from './create.js';

const service = { ...create, ...batch, ...cancelRetry };

type Options<F extends (...args: never[]) => unknown> = Parameters<F>[0];

/** `job.accept`: job id, provider, image count, priority. Never the prompt. */
export function createJob(options: Options<typeof service.createJob>) {
  const { input } = options;
  return withSpan(
    'job.accept',
    {
      attributes: { [ATTR.provider]: input.provider, [ATTR.images]: input.numImages, [ATTR.priority]: input.priority },
    },
    async (span) => {
      const job = await service.createJob(options);
      span.setAttribute(ATTR.jobId, job.id);
      return job;
    },
  );
}

/** `batch.accept`: every job of the batch stores this span's traceparent, so they share its trace. */
export function createBatch(options: Options<typeof service.createBatch>) {
  return withSpan('batch.accept', { attributes: { [ATTR.batchJobs]: options.input.requests.length } }, async (span) => {
    const batch = await service.createBatch(options);
    span.setAttribute('darkroom.batch.id', batch.batchId);
    return batch;
  });
}

/** `job.cancel`. */
export function cancelJob(options: Options<typeof service.cancelJob>) {
  return withSpan('job.cancel', { attributes: { [ATTR.jobId]: options.id } }, () => service.cancelJob(options));
}

/** `job.retry` (the job keeps the trace of its accept: its runs stay one trace). */
export function retryJob(options: Options<typeof service.retryJob>) {
  return withSpan('job.retry', { attributes: { [ATTR.jobId]: options.id } }, () => service.retryJob(options));
}
