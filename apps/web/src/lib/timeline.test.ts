import { JOB_EVENT_TYPES, type JobEventType, type JobEventView } from '@darkroom/core';
import { describe, expect, it } from 'vitest';
import { describeJobEvent } from './timeline.js';

const at = { id: '1', createdAt: '2026-12-05T10:00:00.000Z' };

describe('describeJobEvent', () => {
  it('says what happened, from the typed data', () => {
    const events: JobEventView[] = [
      { ...at, type: 'created', data: { numImages: 2, priority: 'normal' } },
      { ...at, type: 'started', data: { attempt: 2, resumed: true, workerId: 'w-1' } },
      { ...at, type: 'retry_scheduled', data: { index: 0, attempt: 1, delayMs: 1500, reason: 'transient' } },
      {
        ...at,
        type: 'finished',
        data: { status: 'failed', succeeded: 1, failed: 1, credits: { charged: 1, refunded: 1 }, code: 'abandoned' },
      },
      { ...at, type: 'unrecognized', recordedType: 'teleported', data: null },
    ];
    expect(events.map(describeJobEvent)).toEqual([
      'Accepted: 2 images, normal priority',
      'Resumed by w-1 (run 2)',
      'image 1: attempt 1 failed (transient); again in 1.5 s',
      'Finished failed (abandoned): 1 made, 1 failed; 1 credits charged, 1 refunded',
      'teleported (written by another version)',
    ]);
  });

  it('has a line for every event type', () => {
    // One sample per type, checked by the compiler against the union: a new type must be added here.
    const samples: { [T in JobEventType]: Extract<JobEventView, { type: T }> } = {
      created: { ...at, type: 'created', data: { numImages: 1, priority: 'low', batchId: 'b' } },
      started: { ...at, type: 'started', data: { attempt: 1, resumed: false, workerId: 'w' } },
      progress: { ...at, type: 'progress', data: { progress: 40 } },
      position: {
        ...at,
        type: 'position',
        data: { position: 3, estimatedWaitSeconds: 40, predictedStartAt: '2026-12-05T15:00:00.000Z' },
      },
      stage: { ...at, type: 'stage', data: { stage: 'storing' } },
      warning: { ...at, type: 'warning', data: { stage: 'references', message: 'no references' } },
      provider_status: { ...at, type: 'provider_status', data: { index: 0, provider: 'fal', state: 'queued' } },
      provider_fallback: { ...at, type: 'provider_fallback', data: { index: 0, from: 'a', to: 'b', reason: 'auth' } },
      retry_scheduled: {
        ...at,
        type: 'retry_scheduled',
        data: { index: 0, attempt: 1, delayMs: 0, reason: 'timeout' },
      },
      store_retry: { ...at, type: 'store_retry', data: { index: 0, attempt: 1, delayMs: 10 } },
      image_succeeded: { ...at, type: 'image_succeeded', data: { index: 3 } },
      image_failed: { ...at, type: 'image_failed', data: { index: 0, code: 'content_filtered', message: 'no' } },
      cancel_requested: { ...at, type: 'cancel_requested', data: null },
      released: { ...at, type: 'released', data: { workerId: 'w', reason: 'shutdown' } },
      retried: { ...at, type: 'retried', data: { images: [0, 2], previousStatus: 'canceled' } },
      promoted: { ...at, type: 'promoted', data: { from: 'low', to: 'normal', waitedSeconds: 60 } },
      finished: {
        ...at,
        type: 'finished',
        data: { status: 'succeeded', succeeded: 1, failed: 0, credits: { charged: 1, refunded: 0 } },
      },
    };
    expect(Object.keys(samples).sort()).toEqual([...JOB_EVENT_TYPES].sort());
    for (const event of Object.values(samples)) {
      const line = describeJobEvent(event);
      expect(line).not.toBe(event.type);
      expect(line).not.toContain('undefined');
    }
  });
});
