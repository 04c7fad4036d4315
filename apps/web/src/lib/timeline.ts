/**
 * One line of a job's timeline, from core's event union: `type` narrows `data`, so every field read
 * here is typed, and a new event type fails to compile here until it has its line.
 */
import type { JobEventView } from '@darkroom/core';

const STAGES = {
  references: 'finding references',
  prompts: 'writing prompts',
  generating: 'generating',
  storing: 'storing',
};

const image = (index: number) => `image ${index + 1}`;
const seconds = (ms: number) => `${Math.max(0.1, Math.round(ms / 100) / 10)} s`;

export function describeJobEvent(event: JobEventView): string {
  switch (event.type) {
    case 'created':
      return `Accepted: ${event.data.numImages} image${event.data.numImages === 1 ? '' : 's'}, ${event.data.priority} priority${event.data.batchId ? ', in a batch' : ''}`;
    case 'started':
      return event.data.resumed
        ? `Resumed by ${event.data.workerId} (run ${event.data.attempt})`
        : `Started by ${event.data.workerId} (run ${event.data.attempt})`;
    case 'stage':
      return `Stage: ${STAGES[event.data.stage]}`;
    case 'warning':
      return `Warning while ${STAGES[event.data.stage]}: ${event.data.message}`;
    case 'provider_status':
      return event.data.state === 'queued'
        ? `${image(event.data.index)} waits at ${event.data.provider}${event.data.queuePosition !== undefined ? ` (${event.data.queuePosition} ahead)` : ''}`
        : `${image(event.data.index)} is being made by ${event.data.provider}`;
    case 'provider_fallback':
      return `${image(event.data.index)} moved from ${event.data.from} to ${event.data.to} (${event.data.reason})`;
    case 'retry_scheduled':
      return `${image(event.data.index)}: attempt ${event.data.attempt} failed (${event.data.reason}); again in ${seconds(event.data.delayMs)}`;
    case 'store_retry':
      return `${image(event.data.index)}: storing failed (attempt ${event.data.attempt}); again in ${seconds(event.data.delayMs)}`;
    case 'image_succeeded':
      return `${image(event.data.index)} done`;
    case 'image_failed':
      return `${image(event.data.index)} failed (${event.data.code}): ${event.data.message}`;
    case 'progress':
      return `Progress ${event.data.progress}%`;
    case 'position':
      return event.data.position === 0
        ? 'Next in line'
        : `${event.data.position} ahead in the queue${
            event.data.estimatedWaitSeconds !== null
              ? `; should start in about ${Math.max(1, Math.round(event.data.estimatedWaitSeconds))} s`
              : ''
          }`;
    case 'cancel_requested':
      return 'Cancel requested';
    case 'released':
      return `Handed back to the queue by ${event.data.workerId} (${event.data.reason})`;
    case 'retried':
      return `Retried: ${event.data.images.map(image).join(', ')} again (was ${event.data.previousStatus})`;
    case 'promoted':
      return `Moved up from ${event.data.from} to ${event.data.to} priority after ${Math.round(event.data.waitedSeconds)} s`;
    case 'finished': {
      const { status, succeeded, failed, credits } = event.data;
      const why = event.data.code ?? event.data.reason;
      return `Finished ${status}${why ? ` (${why})` : ''}: ${succeeded} made, ${failed} failed; ${credits.charged} credits charged, ${credits.refunded} refunded`;
    }
    case 'unrecognized':
      return `${event.recordedType} (written by another version)`;
    default:
      return unreachable(event);
  }
}

function unreachable(event: never): string {
  return String((event as { type?: unknown }).type);
}
