/** Fake vendor servers for tests (this package's and the worker's): real HTTP on 127.0.0.1. */
export * from './fake-http.js';
export * from './openai.js';
export * from './replicate.js';
export * from './expect-failure.js';
export * from './fal.js';
export * from './stability.js';
export * from './a1111.js';
export * from './comfyui.js';
export * from './input-images.js';
