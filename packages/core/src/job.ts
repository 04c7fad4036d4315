/**
 * Darkroom's job vocabulary, shared by the API, the worker, the client and the web app: what a caller
 * asks for (job-request.ts), what every reader sees (job-view.ts), batches (job-batch.ts) and the REST
 * shapes (job-rest.ts). This file re-exports them, so importers name only `@darkroom/core`.
 *
 * Glossary
 * - job: one request for `numImages` images from one prompt; accepted at once, run later by a worker.
 * - image: one of a job's images; the unit of generation, retry and charge.
 * - stage: where a running job is in the pipeline: references -> prompts -> generating -> storing.
 * - attempt: one try at running a job (or an image) on a worker; failures that may pass are retried.
 * - provider: the adapter that turns a prompt into image bytes (`local` renders on the CPU, offline).
 * - credit: the unit users pay in; reserved at submit, charged per succeeded image, the rest refunded.
 */
export * from './job-request.js';
export * from './job-view.js';
export * from './job-batch.js';
export * from './job-rest.js';
export * from './inputs.js';
export * from './engine-options.js';
export * from './model-catalog.js';
export * from './engine-instances.js';
export * from './assets.js';
export * from './derived.js';
