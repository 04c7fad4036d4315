/**
 * The stages before generating: references chosen, then each image's exact prompt and seed written.
 * Each stage's write also enters the next stage, in one statement.
 */
import { buildImagePrompt, imageSeed, jobEvent, type JobReference, type Preset, type Stage } from '@darkroom/core';
import type { Db, Image, Job } from '@darkroom/db';
import { findReferences } from '../references.js';
import type { PipelineDeps } from './deps.js';

/** Enters `stage`: the job's stage and its timeline event, in one statement. */
export async function setStage(db: Db, jobId: string, stage: Stage) {
  const event = jobEvent('stage', { stage });
  await db.$executeRaw`
    with entered as (update jobs set stage = ${stage}::"JobStage", updated_at = now() where id = ${jobId}::uuid returning id)
    insert into job_events (job_id, type, data) select id, ${event.type}, ${JSON.stringify(event.data)}::jsonb from entered`;
}

/**
 * Writes each image's exact prompt and seed before anything is generated, and enters the generating
 * stage, in one statement.
 */
export async function preparePrompts(db: Db, job: Job): Promise<Image[]> {
  const prompt = buildImagePrompt({ preset: job.preset as Preset, prompt: job.prompt, style: job.style });
  const images = await db.image.findMany({ where: { jobId: job.id }, orderBy: { index: 'asc' } });
  const unprepared = images.filter((image) => image.prompt === null);
  if (unprepared.length === 0) {
    await setStage(db, job.id, 'generating');
    return images;
  }
  const seeds = unprepared.map((image) => imageSeed(job.seed ?? 0, image.index));
  const generating = jobEvent('stage', { stage: 'generating' });
  await db.$executeRaw`
    with prepared as (
      update images set prompt = ${prompt}, seed = given.seed, updated_at = now()
      from unnest(${unprepared.map((image) => image.id)}::uuid[], ${seeds}::int[]) as given(id, seed)
      where images.id = given.id),
    entered as (update jobs set stage = 'generating', updated_at = now() where id = ${job.id}::uuid returning id)
    insert into job_events (job_id, type, data) select id, ${generating.type}, ${JSON.stringify(generating.data)}::jsonb from entered`;
  return images.map((image) =>
    image.prompt !== null ? image : { ...image, prompt, seed: imageSeed(job.seed ?? 0, image.index) },
  );
}

/**
 * Finds and records the job's references. A failing search must not fail the job: it is recorded as a
 * warning and the job goes on without references.
 */
export async function chooseReferences(deps: PipelineDeps, job: Job): Promise<JobReference[]> {
  // A resumed run keeps what the first run chose.
  if (Array.isArray(job.references)) {
    await setStage(deps.db, job.id, 'prompts');
    return job.references as unknown as JobReference[];
  }
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
  // The choice and the next stage in one statement.
  const prompts = jobEvent('stage', { stage: 'prompts' });
  await deps.db.$executeRaw`
    with entered as (
      update jobs set "references" = ${JSON.stringify(references)}::jsonb, stage = 'prompts', updated_at = now()
      where id = ${job.id}::uuid returning id)
    insert into job_events (job_id, type, data) select id, ${prompts.type}, ${JSON.stringify(prompts.data)}::jsonb from entered`;
  return references;
}
