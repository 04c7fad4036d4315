import { ProviderError } from '../errors.js';

/** The ProviderError `promise` rejects with; anything else (or success) throws. */
export async function providerFailure(promise: Promise<unknown>): Promise<ProviderError> {
  const outcome = await promise.then(
    () => new Error('expected the call to fail, but it succeeded'),
    (caught: unknown) => caught,
  );
  if (!(outcome instanceof ProviderError)) throw outcome instanceof Error ? outcome : new Error(String(outcome));
  return outcome;
}
