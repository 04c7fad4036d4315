/** A job's timeline as its owner reads it. */
import { DomainError, toJobEventView, type JobEventView } from '@darkroom/core';
import { visibleTo, type ServiceOptions } from './options.js';

/** Oldest first; each event typed by core's union (see packages/core/src/events.ts). */
export async function listJobEvents({ db, user, id }: ServiceOptions & { id: string }): Promise<JobEventView[]> {
  const job = await db.job.findFirst({ where: { id, ...visibleTo(user) }, select: { id: true } });
  if (!job) throw new DomainError('NOT_FOUND', `job ${id} not found`);
  const events = await db.jobEvent.findMany({ where: { jobId: id }, orderBy: { id: 'asc' } });
  return events.map((event) => toJobEventView(event));
}
