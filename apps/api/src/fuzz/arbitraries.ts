/**
 * What the HTTP fuzz suites send: hostile JSON values, near-valid inputs (a valid sample with one field
 * spoiled, so the request gets past the schema into services and Postgres), raw bodies that are not JSON
 * at all, and the headers that go with them.
 */
import fc from 'fast-check';

// Knobs of the test run, not configuration of the app (which env.ts alone reads).
// eslint-disable-next-line no-restricted-properties
const { FUZZ_SEED: seedText, FUZZ_RUNS: runsText, FUZZ_PATH: replayPath } = process.env;

/** The seed every fuzz run starts from; `FUZZ_SEED` (and `FUZZ_PATH`) replay a reported failure. */
export const FUZZ_SEED = Number(seedText ?? 20261124);
/** fast-check's options for one surface: fixed seed, a bounded number of runs, replay when asked. */
export function fuzzParameters(numRuns: number): fc.Parameters<unknown> {
  const runs = runsText ? Math.max(1, Math.round((numRuns * Number(runsText)) / 100)) : numRuns;
  return { seed: FUZZ_SEED, numRuns: runs, endOnFailure: true, ...(replayPath ? { path: replayPath } : {}) };
}

/** Strings that have broken servers before: NUL, lone surrogates, huge, SQL, paths, numbers in disguise. */
const nastyStrings = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\uffff',
  '\u202e\u200b\ufeff',
  '🐉'.repeat(2500),
  'x'.repeat(5000),
  "'; drop table jobs; --",
  '../../../../etc/passwd',
  '%00%2e%2e%2f',
  '${jndi:ldap://127.0.0.1/a}',
  'NaN',
  '-1',
  '1e400',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  '2026-13-45T25:61:61+99:99',
  '__proto__',
  'constructor',
  '<script>alert(1)</script>',
  'dk_00000000_' + 'A'.repeat(43),
  '!!! & | <-> "unterminated',
);

export const anyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: nastyStrings },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.uuid() },
);

const nastyNumbers = fc.constantFrom(
  0,
  -0,
  -1,
  1.5,
  2 ** 31,
  2 ** 53 + 2,
  -(2 ** 53),
  1e308,
  -1e308,
  5e-324,
  8,
  9,
  100,
  101,
  501,
);

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
const anyKey = fc.oneof(fc.constantFrom(...PROTO_KEYS), anyString);

/** Any JSON value, leaning towards the hostile. */
export const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    nastyNumbers,
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    anyString,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(anyKey, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** `depth` levels of `{"a":...}` or `[...]`, as JSON text (objects built this deep would overflow JSON.stringify). */
export function deepJsonText(depth: number, kind: 'object' | 'array'): string {
  return kind === 'object' ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth);
}

/** A JSON object with `__proto__` and `constructor` as own keys, the way an attacker would send it. */
export const protoPollutionText = fc.constantFrom(
  '{"__proto__":{"isAdmin":true,"role":"admin"}}',
  '{"constructor":{"prototype":{"role":"admin"}}}',
  '{"prompt":"x","__proto__":{"numImages":8}}',
  '{"0":{"__proto__":{"x":1}}}',
);

/** Raw request bodies that are not (valid) JSON, or are JSON nobody expects. */
export const rawBody: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    'null',
    'true',
    '0',
    '"x"',
    '[]',
    '{',
    '{"a":',
    '{"a":1,}',
    "{'a':1}",
    'undefined',
    'NaN',
    '\u0000',
    '\ufeff{}',
    '{"a":1}{"b":2}',
  ),
  protoPollutionText,
  fc
    .constantFrom(500, 5000, 50_000)
    .chain((depth) => fc.constantFrom(deepJsonText(depth, 'object'), deepJsonText(depth, 'array'))),
  fc.string({ unit: 'binary', maxLength: 60 }),
  // Just under and well over the 1 MiB body limit.
  fc.constantFrom(JSON.stringify({ prompt: 'x'.repeat(1_000_000) }), JSON.stringify({ prompt: 'y'.repeat(1_100_000) })),
);

/** Content types for bodies, right and wrong. */
export const contentType = fc.constantFrom<string | undefined>(
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fuzz',
  'image/png',
  'application/octet-stream',
  'application/',
  ';;;',
  undefined,
);

export const anyMethod = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS');

/**
 * A valid sample with something wrong (or nothing: some runs stay valid, to reach the deep paths):
 * one field set to a hostile value or removed, an extra (prototype) key, or the whole thing replaced.
 */
export function nearly(sample: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(sample);
  // Strings most often: a hostile string is what gets past a schema into services and Postgres.
  const spoilOne = fc
    .tuple(
      keys.length > 0 ? fc.constantFrom(...keys) : fc.constant('x'),
      fc.oneof({ weight: 2, arbitrary: anyString }, { weight: 1, arbitrary: anyJson }),
    )
    .map(([key, value]) => ({ ...sample, [key]: value }));
  const dropOne = fc
    .constantFrom(...(keys.length > 0 ? keys : ['x']))
    .map((key) => Object.fromEntries(Object.entries(sample).filter(([k]) => k !== key)));
  const extraKey = fc.tuple(anyKey, anyJson).map(([key, value]) => {
    const copy: Record<string, unknown> = { ...sample };
    Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
    return copy;
  });
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(sample) },
    { weight: 5, arbitrary: spoilOne },
    { weight: 1, arbitrary: dropOne },
    { weight: 1, arbitrary: extraKey },
    { weight: 2, arbitrary: anyJson },
  );
}
