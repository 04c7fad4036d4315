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
