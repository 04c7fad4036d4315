/**
 * In a browser, zod parses without `new Function`. zod 4 probes whether eval is allowed when it builds
 * its first object schema; under the web app's CSP (script-src 'self', no 'unsafe-eval') the probe is
 * refused and the browser logs a CSP violation (Lighthouse's best-practices "Issues" entry), though zod
 * catches it. zod reads this shared config object, so it must be set before any schema is built: this
 * module is the first thing core's index imports. Servers keep zod's faster compiled parsers.
 */
const global = globalThis as { __zod_globalConfig?: Record<string, unknown>; document?: unknown };
if (typeof global.document !== 'undefined') {
  global.__zod_globalConfig ??= {};
  global.__zod_globalConfig.jitless = true;
}

export {};
