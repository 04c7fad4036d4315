/** The error a call was refused with, or null when it succeeded: for asserting a refusal's code and message. */
export function refusalOf(
  promise: Promise<unknown>,
): Promise<{ code: string; message: string; cause?: { details?: unknown } } | null> {
  return promise.then(
    () => null,
    (error: unknown) => error as { code: string; message: string; cause?: { details?: unknown } },
  );
}
