/**
 * The stages before generating: references chosen, then each image's exact prompt and seed written.
 * The choice, the prompts and both stage changes are one statement (they were three round trips).
 */
import { buildImagePrompt, imageSeed, jobEvent, type JobReference, type Preset } from '@darkroom/core';
import { type Db, type Image, type Job, execHot, queryHot, type HotStatement } from '@darkroom/db';
import { findReferences } from '../references.js';
import type { PipelineDeps } from './deps.js';
import { IMAGES_OF_JOB } from './hot.js';

/**
 * The references chosen for the run: what an earlier run chose (kept), or a search now. Nothing is
 * written here: the choice is recorded with the prompts (`preparePrompts`), in one statement. A failing
 * search must not fail the job: it is recorded as a warning and the job goes on without references.
 */
export async function chooseReferences(deps: PipelineDeps, job: Job): Promise<ChosenReferences> {
  // A resumed run keeps what the first run chose.
  if (Array.isArray(job.references)) return { references: job.references as unknown as JobReference[], fresh: false };
  let references: JobReference[] = [];
  try {
    references = await findReferences(deps.db, job);
  } catch (error) {
    deps.log.warn({ jobId: job.id, err: error }, 'reference search failed; going on without references');
    await deps.db.jobEvent.create({
      // The reason stays in the log: the owner reads events, and a driver's message names hosts and SQL.
      data: {
        jobId: job.id,
        ...jobEvent('warning', {
          stage: 'references',
          message: 'reference search failed; going on without references',
        }),
      },
    });
  }
  return { references, fresh: true };
}

export interface ChosenReferences {
  references: JobReference[];
  /** Chosen by this run, so not on the job row yet. */
  fresh: boolean;
}

/**
 * Records the references and enters the prompts stage, for a run that ends before its prompts (an
 * input's file is missing): the timeline reads as it would have.
 */
export async function recordReferences(db: Db, jobId: string, { references, fresh }: ChosenReferences) {
  const prompts = jobEvent('stage', { stage: 'prompts' });
  await db.$executeRaw`
    with entered as (
      update jobs set "references" = coalesce(${fresh ? JSON.stringify(references) : null}::jsonb, "references"), stage = 'prompts', updated_at = now()
      where id = ${jobId}::uuid returning id)
    insert into job_events (job_id, type, data) select id, ${prompts.type}, ${JSON.stringify(prompts.data)}::jsonb from entered`;
}

/**
 * Records the references, writes each image's exact prompt and seed, and passes through the prompts
 * stage into generating, in one statement (both stage events, in order, as two writes made them).
 */
export async function preparePrompts(db: Db, job: Job, chosen: ChosenReferences): Promise<Image[]> {
  const prompt = buildImagePrompt({ preset: job.preset as Preset, prompt: job.prompt, style: job.style });
  const images = await queryHot<Image>(db, IMAGES_OF_JOB, [job.id]);
  const unprepared = images.filter((image) => image.prompt === null);
  const seeds = unprepared.map((image) => imageSeed(job.seed ?? 0, image.index));
  const prompts = jobEvent('stage', { stage: 'prompts' });
  const generating = jobEvent('stage', { stage: 'generating' });
  await execHot(db, PROMPTS_WRITTEN, [
    prompt,
    unprepared.map((image) => image.id),
    seeds,
    chosen.fresh ? JSON.stringify(chosen.references) : null,
    job.id,
    prompts.type,
    JSON.stringify(prompts.data),
    generating.type,
    JSON.stringify(generating.data),
  ]);
  return images.map((image) =>
    image.prompt !== null ? image : { ...image, prompt, seed: imageSeed(job.seed ?? 0, image.index) },
  );
}

const PROMPTS_WRITTEN: HotStatement = {
  name: 'darkroom_prompts_written',
  text: `with prepared as (
      update images set prompt = $1::text, seed = given.seed, updated_at = now()
      from unnest($2::uuid[], $3::int[]) as given(id, seed)
      where images.id = given.id),
    entered as (
      update jobs set "references" = coalesce($4::jsonb, "references"), stage = 'generating', updated_at = now()
      where id = $5::uuid returning id)
    insert into job_events (job_id, type, data)
    select entered.id, stage.type, stage.data from entered, (values
      (1, $6::text, $7::jsonb),
      (2, $8::text, $9::jsonb)) as stage(ord, type, data)
    order by stage.ord`,
};
