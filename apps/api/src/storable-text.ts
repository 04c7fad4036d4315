/**
 * Text Postgres cannot store: a NUL character (no text or jsonb value may hold U+0000) or half of a
 * UTF-16 surrogate pair (jsonb refuses `\ud800`; text columns would silently get U+FFFD instead). Valid
 * JSON may carry either, and every schema lets them through, so without this check they reached the
 * database and came back as 500s. One check for every surface, before any schema or service sees the
 * input, answering as a schema failure does: a ZodError naming the field.
 */
import { z } from 'zod';

// eslint-disable-next-line no-control-regex -- finding the NUL character is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Where (the path of keys) the first unstorable string or key is, or null when there is none. Walks
 * with a stack of its own, since a 1 MiB body can nest far deeper than the call stack goes.
 */
export function findUnstorableText(value: unknown): PropertyKey[] | null {
  interface Step {
    value: unknown;
    key: PropertyKey | null;
    parent: Step | null;
  }
  const pathOf = (step: Step | null, last?: PropertyKey): PropertyKey[] => {
    const path: PropertyKey[] = last === undefined ? [] : [last];
    for (let at = step; at && at.key !== null; at = at.parent) path.unshift(at.key);
    return path;
  };
  const pending: Step[] = [{ value, key: null, parent: null }];
  for (let step = pending.pop(); step; step = pending.pop()) {
    if (typeof step.value === 'string') {
      if (UNSTORABLE.test(step.value)) return pathOf(step);
      continue;
    }
    if (step.value === null || typeof step.value !== 'object' || Buffer.isBuffer(step.value)) continue;
    const isArray = Array.isArray(step.value);
    for (const [key, item] of Object.entries(step.value)) {
      if (UNSTORABLE.test(key)) return pathOf(step, key);
      if (item !== null && (typeof item === 'object' || typeof item === 'string'))
        pending.push({ value: item, key: isArray ? Number(key) : key, parent: step });
    }
  }
  return null;
}

const MESSAGE = 'text may not contain NUL characters (U+0000) or unpaired UTF-16 surrogates';

/**
 * Throws a ZodError (BAD_REQUEST / BAD_INPUT on every surface) when `value` holds unstorable text.
 * The error comes from a parse, as a schema's would: a ZodError built with `new` is not an Error, and
 * tRPC would not keep it as the cause the error formatter reads the field path from.
 */
export function assertStorableText(value: unknown): void {
  const path = findUnstorableText(value);
  if (!path) return;
  z.unknown()
    .superRefine((_value, ctx) => ctx.addIssue({ code: 'custom', path, message: MESSAGE }))
    .parse(value);
}
