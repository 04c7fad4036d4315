import { describe, expect, it } from 'vitest';
import type { QuoteView } from '@darkroom/core';
import { quoteText } from './QuoteLine.js';
import { aboutDuration, startText } from './StartEstimate.js';

const now = Date.parse('2026-12-05T12:00:00Z');

describe('start estimates', () => {
  it('says when a queued job should start, and when a scheduled one will', () => {
    expect(startText({ status: 'queued', notBefore: null, estimatedWaitSeconds: 40 }, now)).toBe(
      'should start in about 40 s',
    );
    expect(startText({ status: 'queued', notBefore: null, estimatedWaitSeconds: null }, now)).toBeNull();
    expect(startText({ status: 'running', notBefore: null, estimatedWaitSeconds: 40 }, now)).toBeNull();
    const scheduled = startText(
      { status: 'queued', notBefore: '2026-12-05T12:10:00Z', estimatedWaitSeconds: 600 },
      now,
    );
    expect(scheduled).toMatch(/^scheduled · starts at .*\d\d.\d\d/);
    expect([aboutDuration(0.2), aboutDuration(200), aboutDuration(4 * 3600)]).toEqual([
      'about 1 s',
      'about 3 min',
      'about 4 h',
    ]);
  });

  it('words a quote: credits and the expected start', () => {
    const quote: QuoteView = {
      credits: 2,
      pricePerImage: 1,
      balance: 1,
      affordable: false,
      position: 3,
      estimatedWaitSeconds: 40,
      predictedStartAt: '2026-12-05T12:00:40Z',
      predictedFinishAt: null,
    };
    expect(quoteText(quote, undefined, now)).toBe('Quote: 2 credits · should start in about 40 s · not enough credits');
    expect(quoteText({ ...quote, estimatedWaitSeconds: null, position: 0, affordable: true }, undefined, now)).toBe(
      'Quote: 2 credits · should start at once',
    );
    expect(quoteText(quote, '2026-12-05T12:00:30Z', now)).toMatch(/^Quote: 2 credits · scheduled · starts at /);
  });
});
