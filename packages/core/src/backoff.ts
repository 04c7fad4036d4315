/**
 * Polling with backoff: how long to wait before the next status read. The web app and the client
 * use it when a live subscription is not available (the seeds' frontend guide: 1 s growing x1.2 to 5 s).
 */
export interface BackoffOptions {
  /** First delay in ms. Default 1000. */
  initialMs?: number;
  /** Growth per attempt. Default 1.2. */
  factor?: number;
  /** Ceiling in ms. Default 5000. */
  maxMs?: number;
}

/** Delay before poll number `attempt` (0-based). */
export function pollDelay(attempt: number, options: BackoffOptions = {}): number {
  const { initialMs = 1000, factor = 1.2, maxMs = 5000 } = options;
  return Math.min(maxMs, Math.round(initialMs * factor ** Math.max(0, attempt)));
}
