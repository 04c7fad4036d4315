export { loadApiConfig, accountSettingsFrom, type ApiConfig, type AccountSettings } from './env.js';
export { startApi, type RunningApi } from './start.js';
export { buildServer, type ServerOptions } from './server.js';
export { appRouter, type AppRouter } from './router.js';
export { createCallerFactory } from './trpc.js';
export { makeInProcessCallers, type InProcessCallers } from './in-process.js';
export type { Context, AuthUser } from './context.js';
