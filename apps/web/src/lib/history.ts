/**
 * History's filters as the list query wants them, and batch grouping: pure, so they are tested alone.
 */
import type { JobListInput, JobStatus, JobView, Preset } from '@darkroom/core';

export interface Filters {
  status: JobStatus | '';
  preset: Preset | '';
  projectId: string;
  /** yyyy-mm-dd (the browser's date input), local time. */
  from: string;
  to: string;
  search: string;
}

export const NO_FILTERS: Filters = { status: '', preset: '', projectId: '', from: '', to: '', search: '' };

/** The list query's filters from the form's: empty fields left out, dates as local-midnight instants. */
export function listFilters(filters: Filters): Omit<JobListInput, 'limit' | 'cursor'> {
  const day = (text: string, plusDays = 0) => {
    const [y, m, d] = text.split('-').map(Number) as [number, number, number];
    return new Date(y, m - 1, d + plusDays).toISOString();
  };
  return {
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.preset ? { preset: filters.preset } : {}),
    ...(filters.projectId.trim() ? { projectId: filters.projectId.trim() } : {}),
    ...(filters.from ? { createdFrom: day(filters.from) } : {}),
    // The "to" day is included: up to the next midnight.
    ...(filters.to ? { createdTo: day(filters.to, 1) } : {}),
    ...(filters.search.trim() ? { search: filters.search.trim() } : {}),
  };
}

/** Consecutive jobs of one batch become one group; other jobs stand alone. */
export function groupByBatch(jobs: JobView[]): { key: string; batchId: string | null; jobs: JobView[] }[] {
  const groups: { key: string; batchId: string | null; jobs: JobView[] }[] = [];
  for (const job of jobs) {
    const last = groups.at(-1);
    if (job.batchId && last?.batchId === job.batchId) last.jobs.push(job);
    else groups.push({ key: job.id, batchId: job.batchId, jobs: [job] });
  }
  return groups;
}
