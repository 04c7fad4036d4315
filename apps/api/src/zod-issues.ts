import type { ZodError } from 'zod';

/**
 * Zod's issues with their field paths and limits (minimum, maximum, expected values), JSON-safe: one
 * bad field as every surface reports it. The return type is spelled out rather than named, because it
 * reaches the client through the tRPC router's inferred type, which must not depend on a private file.
 */
export function fieldIssues(
  error: ZodError,
): ({ path: string[]; message: string; code: string } & Record<string, unknown>)[] {
  return error.issues.map(({ path, message, code, ...limits }) => ({
    path: path.map(String),
    message,
    code,
    ...pickLimits(limits),
  }));
}

function pickLimits(limits: Record<string, unknown>) {
  const out: Record<string, unknown> = {};
  for (const key of ['minimum', 'maximum', 'expected', 'values', 'inclusive', 'origin'] as const) {
    if (key in limits) out[key] = typeof limits[key] === 'bigint' ? Number(limits[key]) : limits[key];
  }
  return out;
}
