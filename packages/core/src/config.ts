import { z } from 'zod';

/** A refused configuration: each bad variable with what is wrong (its limit, its allowed values). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly app: string,
    readonly issues: readonly { variable: string; message: string }[],
  ) {
    super(`invalid ${app} configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
  }
}

/**
 * Parses an app's environment with its schema, or throws one ConfigError that names every bad variable
 * and why, so a misconfigured process refuses to start with a message an operator can act on.
 */
export function parseConfig<Schema extends z.ZodType>(
  app: string,
  schema: Schema,
  env: Record<string, string | undefined>,
): z.output<Schema> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    app,
    parsed.error.issues.map((issue) => ({ variable: issue.path.join('.'), message: issue.message })),
  );
}

/**
 * A configuration value that must never be printed (an API key). Logging, JSON or string conversion
 * show `[redacted]`; only `reveal()` gives the value, at the one place that sends it to its vendor.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return '[redacted]';
  }
  toString(): string {
    return '[redacted]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Secret([redacted])';
  }
}

/**
 * A comma-separated list of names from a closed set (`local,mock`, `low,normal`), at least one; a
 * refusal names the set and what is not in it. `what` is the plural the message uses ("providers").
 */
export function nameListEnv<Name extends string>(names: readonly Name[], what: string, fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((text, ctx): Name[] => {
      const listed = text
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean);
      const unknown = listed.filter((name) => !(names as readonly string[]).includes(name));
      if (unknown.length > 0 || listed.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `name ${what} from ${names.join(', ')}${unknown.length ? ` (not ${unknown.join(', ')})` : ''}`,
        });
        return z.NEVER;
      }
      return listed as Name[];
    });
}
