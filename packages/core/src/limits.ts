/**
 * Bounds the web app's sign-up page shows and words its messages with, in a module that builds no zod
 * schema when loaded: the landing page imports this (`@darkroom/core/limits`) and loads the schemas
 * themselves only when someone uses the form. The schemas in account.ts and job-request.ts read these.
 */

/** A password's length bounds. */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;

/** The most images one job may ask for. */
export const MAX_IMAGES_PER_JOB = 32;
/** Prompt bound, counted after trimming. */
export const MAX_PROMPT_LENGTH = 4000;
