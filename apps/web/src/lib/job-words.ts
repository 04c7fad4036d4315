/**
 * How a job is named on its card, in History, in the gallery and the image view: the same words
 * everywhere ("Character reference", "Partly done"), never the raw ids or statuses.
 */
import { PRESET_DEFINITIONS, type JobView } from '@darkroom/core';
import { plural } from './plain-words.js';

/** What a job's badge shows: the outcome, with "partial" for a job that made some of its images. */
export type JobOutcome = 'queued' | 'running' | 'stopping' | 'succeeded' | 'partial' | 'failed' | 'canceled';

const OUTCOME_WORDS: Record<JobOutcome, string> = {
  queued: 'Queued',
  running: 'Running',
  stopping: 'Stopping',
  succeeded: 'Done',
  partial: 'Partly done',
  failed: 'Failed',
  canceled: 'Canceled',
};

export function jobOutcome(view: Pick<JobView, 'status' | 'counts'>, stopping = false): JobOutcome {
  if (stopping) return 'stopping';
  if (view.status === 'succeeded' && view.counts.failed > 0) return 'partial';
  return view.status;
}

export function outcomeWords(outcome: JobOutcome): string {
  return OUTCOME_WORDS[outcome];
}

export function presetLabel(preset: JobView['preset']): string {
  return PRESET_DEFINITIONS[preset].label;
}

/** "Character reference · 3:4 · 1 image · normal · local": what was asked for, in History's words. */
export function jobSummary(view: JobView): string {
  return [
    presetLabel(view.preset),
    view.aspectRatio,
    plural(view.numImages, 'image'),
    view.priority,
    view.provider,
    view.quality ? `${view.quality} quality` : null,
  ]
    .filter(Boolean)
    .join(' · ');
}

/**
 * "Cost: 4 credits", or "Cost: up to 8 credits (held while it runs)" before it ends; what was given
 * back for images not made is said too, so the card, History and the ledger tell the same story.
 */
export function jobCost(view: Pick<JobView, 'status' | 'numImages' | 'credits'>): string {
  const { price, reserved, charged } = view.credits;
  if (view.status === 'queued' || view.status === 'running')
    return `Cost: up to ${plural(charged + reserved, 'credit')} (held while it runs)`;
  const back = price * view.numImages - charged;
  return `Cost: ${plural(charged, 'credit')}${back > 0 && price > 0 ? ` (${back} given back for images not made)` : ''}`;
}
