import type { ProviderName } from '@darkroom/core';
import { createLocalProvider } from './local/provider.js';
import type { ImageProvider } from './provider.js';

export * from './errors.js';
export * from './provider.js';
export { createLocalProvider } from './local/provider.js';

/** The adapter for a configured provider name. */
export function createProvider(name: ProviderName): ImageProvider {
  switch (name) {
    case 'local':
      return createLocalProvider();
    default:
      throw new Error(`unknown provider ${String(name)}`);
  }
}
