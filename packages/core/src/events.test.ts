import { describe, expect, it } from 'vitest';
import { JOB_EVENT_TYPES, JobEventView, jobEvent, readJobEvent, toJobEventView } from './events.js';

const at = new Date('2026-12-05T10:00:00Z');

describe('job events', () => {
  it('the view has one variant per event type, plus unrecognized', () => {
    const types = JobEventView.options.map((option) => option.shape.type.value);
    expect(types.sort()).toEqual([...JOB_EVENT_TYPES, 'unrecognized'].sort());
  });

  it('a stored row reads back typed by its type', () => {
    const view = toJobEventView({ id: 7n, type: 'image_succeeded', data: { index: 2 }, createdAt: at });
    expect(view).toEqual({ id: '7', type: 'image_succeeded', data: { index: 2 }, createdAt: at.toISOString() });
    expect(JobEventView.parse(view)).toEqual(view);
  });

  it('a writer cannot add, drop or misspell a field', () => {
    expect(() => jobEvent('store_retry', { index: 0, attempt: 1, delayMs: 5, extra: 1 } as never)).toThrow();
    expect(() => jobEvent('store_retry', { index: 0, attempt: 1 } as never)).toThrow();
    expect(() => JobEventView.parse({ id: '1', type: 'nope', data: null, createdAt: at.toISOString() })).toThrow();
    expect(() =>
      JobEventView.parse({ id: '1', type: 'stage', data: { stage: 'storing', x: 1 }, createdAt: at.toISOString() }),
    ).toThrow();
  });

  it('a row another version wrote reads back unrecognized (unknown type or data that does not fit)', () => {
    expect(readJobEvent('teleported', { to: 'mars' })).toEqual({
      type: 'unrecognized',
      recordedType: 'teleported',
      data: null,
    });
    expect(readJobEvent('image_failed', { index: 'one' })).toEqual({
      type: 'unrecognized',
      recordedType: 'image_failed',
      data: null,
    });
    expect(readJobEvent('__proto__', {})).toMatchObject({ type: 'unrecognized' });
  });

  it('a field a newer version added is dropped on read, the rest kept', () => {
    expect(readJobEvent('image_succeeded', { index: 1, previewKey: 'x' })).toEqual({
      type: 'image_succeeded',
      data: { index: 1 },
    });
    expect(readJobEvent('cancel_requested', null)).toEqual({ type: 'cancel_requested', data: null });
  });
});
