import type { z } from 'zod';

/**
 * Parses an app's environment with its schema, or throws one error that names every bad variable and
 * why, so a misconfigured process refuses to start with a message an operator can act on.
 */
export function parseConfig<Schema extends z.ZodType>(
  app: string,
  schema: Schema,
  env: Record<string, string | undefined>,
): z.output<Schema> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`invalid ${app} configuration:\n${lines.join('\n')}`);
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
