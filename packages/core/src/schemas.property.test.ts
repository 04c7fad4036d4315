import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchRequest, JobListInput, JobRequest, PRESETS, PROVIDER_NAMES, QUALITIES } from './index.js';

// Fixed seed: a failure replays. Any JSON a caller could send, and requests that are nearly valid.
const PARAMETERS = { seed: 20261125, numRuns: 1000 };
const anyJson = fc.jsonValue({ maxDepth: 4 });
const nearlyValid = fc.record(
  {
    prompt: fc.oneof(fc.string({ maxLength: 50 }), anyJson),
    preset: fc.oneof(fc.constantFrom(...PRESETS), anyJson),
    provider: fc.oneof(fc.constantFrom(...PROVIDER_NAMES), anyJson),
    quality: fc.oneof(fc.constantFrom(...QUALITIES), anyJson),
    numImages: fc.oneof(fc.integer({ min: -2, max: 12 }), anyJson),
    seed: fc.oneof(fc.integer(), fc.double()),
    startBy: fc.oneof(
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      fc.string(),
    ),
  },
  { requiredKeys: [] },
);

describe('the shared request schemas, for any input', () => {
  it('JobRequest never throws, names the field of every refusal, and accepts its own output unchanged', () => {
    fc.assert(
      fc.property(fc.oneof(anyJson, nearlyValid), (input) => {
        const parsed = JobRequest.safeParse(input);
        if (!parsed.success) {
          for (const issue of parsed.error.issues) expect(issue.message.length).toBeGreaterThan(0);
          if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
            for (const issue of parsed.error.issues) expect(issue.path.length).toBeGreaterThan(0);
          }
          return;
        }
        expect(JobRequest.parse(parsed.data)).toEqual(parsed.data);
        expect(parsed.data.prompt.trim()).toBe(parsed.data.prompt);
      }),
      PARAMETERS,
    );
  });

  it('BatchRequest and JobListInput never throw, and what they accept parses again to itself', () => {
    fc.assert(
      fc.property(fc.oneof(anyJson, fc.record({ requests: fc.array(nearlyValid, { maxLength: 3 }) })), (input) => {
        for (const schema of [BatchRequest, JobListInput]) {
          const parsed = schema.safeParse(input);
          if (parsed.success) expect(schema.parse(parsed.data)).toEqual(parsed.data);
        }
      }),
      PARAMETERS,
    );
  });
});
