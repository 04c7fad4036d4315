/**
 * When a job that has not started should start: "should start in about 40 s" from the queue's estimate,
 * or, for a job scheduled with `notBefore`, the time it will start. The same words for a quote.
 */
import type { JobView } from '@darkroom/core';

/** "about 40 s", "about 3 min", "about 2 h": rounded, never "0 s". */
export function aboutDuration(seconds: number): string {
  if (seconds < 90) return `about ${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `about ${Math.round(seconds / 60)} min`;
  return `about ${Math.round(seconds / 3600)} h`;
}

/** A start time as the reader's clock says it: "14:32", or "Sun 14:32" when not today. */
export function clockTime(iso: string, now = Date.now()): string {
  const at = new Date(iso);
  const time = at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return at.toDateString() === new Date(now).toDateString()
    ? time
    : `${at.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' })} ${time}`;
}

/**
 * What a queued job's card says about its start: scheduled ("scheduled · starts at 14:32") while its
 * `notBefore` is ahead, else the queue's estimate; null when there is nothing to go by.
 */
export function startText(
  view: Pick<JobView, 'status' | 'notBefore' | 'estimatedWaitSeconds'>,
  now = Date.now(),
): string | null {
  if (view.status !== 'queued') return null;
  if (view.notBefore && Date.parse(view.notBefore) > now) {
    const wait = view.estimatedWaitSeconds ?? (Date.parse(view.notBefore) - now) / 1000;
    return `scheduled · starts at ${clockTime(new Date(now + wait * 1000).toISOString(), now)}`;
  }
  return view.estimatedWaitSeconds !== null ? `should start in ${aboutDuration(view.estimatedWaitSeconds)}` : null;
}

/** The start line of a queued card (nothing for other jobs). */
export function StartEstimate({ view }: { view: JobView }) {
  const text = startText(view);
  return text ? (
    <span className="start-estimate" data-testid="start-estimate">
      {text}
    </span>
  ) : null;
}
