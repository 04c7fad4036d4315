import { describe, expect, it } from 'vitest';
import { makePollSchedule } from './polling.js';

const queued = { status: 'queued' as const, progress: 0, stage: null };

describe('makePollSchedule', () => {
  it('backs off 1 s x1.2 up to 5 s while nothing changes', () => {
    const schedule = makePollSchedule();
    const delays = Array.from({ length: 12 }, () => schedule.next(queued));
    expect(delays.slice(0, 4)).toEqual([1000, 1200, 1440, 1728]);
    expect(delays.at(-1)).toBe(5000);
  });

  it('starts over when the job makes progress', () => {
    const schedule = makePollSchedule();
    for (let i = 0; i < 6; i++) schedule.next(queued);
    expect(schedule.next({ status: 'running', progress: 25, stage: 'generating' })).toBe(1000);
    expect(schedule.next({ status: 'running', progress: 25, stage: 'generating' })).toBe(1200);
  });

  it('stops at a terminal status', () => {
    const schedule = makePollSchedule();
    expect(schedule.next({ status: 'succeeded', progress: 100, stage: null })).toBe(false);
    expect(schedule.next({ status: 'canceled', progress: 10, stage: null })).toBe(false);
  });
});
