import type { ProviderName } from '@darkroom/core';
import { createLocalProvider } from './local/provider.js';
import { createMockProvider, type MockProviderOptions } from './mock/provider.js';
import type { ImageProvider } from './provider.js';

export * from './errors.js';
export { paletteOf } from './palette.js';
export * from './provider.js';
export { createLocalProvider } from './local/provider.js';
export * from './mock/provider.js';

export interface ProvidersConfig {
  mock?: MockProviderOptions;
}

/** The adapter for a configured provider name. */
export function createProvider(name: ProviderName, config: ProvidersConfig = {}): ImageProvider {
  switch (name) {
    case 'local':
      return createLocalProvider();
    case 'mock':
      return createMockProvider(config.mock);
    default:
      throw new Error(`unknown provider ${String(name)}`);
  }
}
export { createOpenAIProvider, type OpenAIProviderOptions } from './openai/provider.js';
export { createReplicateProvider, type ReplicateProviderOptions } from './replicate/provider.js';
export { createFalProvider, type FalProviderOptions } from './fal/provider.js';
export { createStabilityProvider, type StabilityProviderOptions } from './stability/provider.js';
