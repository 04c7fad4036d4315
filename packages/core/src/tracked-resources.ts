/**
 * What test helpers have opened and not yet closed (test databases, fake vendor servers, API servers,
 * in-process workers, whole stacks), each with the stack of where it was opened. The vitest setup file
 * every package loads (`vitest.leak-check.ts` at the repo root) fails a test file that leaves one open,
 * naming it, and then closes it, so one leak neither hangs the run nor spills into the next file.
 * `@darkroom/core/tracked-resources`; no I/O here.
 *
 *   const close = trackResource(`fake server ${url}`, () => server.close());
 *   return { url, close };   // the helper hands out the tracked close: calling it ends the tracking
 */

/** One resource still open. */
export interface OpenResource {
  /** What it is, e.g. `test database test_1a2b`, `fake OpenAI server http://127.0.0.1:4321`. */
  readonly name: string;
  /** The stack where it was opened: the helper, then the test that called it. */
  readonly openedAt: string;
  /** Its tracked close, called with no arguments. */
  readonly close: () => Promise<void>;
}

// On globalThis, not in a module variable: a test file can load this module twice (a helper's build
// output and the setup file's source), and both must see one registry.
const REGISTRY = Symbol.for('darkroom.trackedResources');
type Registry = Set<OpenResource>;

function registry(): Registry {
  const holder = globalThis as { [REGISTRY]?: Registry };
  return (holder[REGISTRY] ??= new Set());
}

/**
 * Records a resource as open and returns its close: the first call runs `close` (with that call's
 * arguments) and forgets the resource; later calls return the first call's result. Helpers must hand
 * out the returned function, not `close` itself. A leak is closed by calling it with no arguments, so
 * `close`'s parameters must be optional.
 */
export function trackResource<A extends unknown[], R>(
  name: string,
  close: (...args: A) => R | Promise<R>,
): (...args: A) => Promise<R> {
  let closing: Promise<R> | undefined;
  const tracked = (...args: A): Promise<R> => {
    registry().delete(resource);
    closing ??= Promise.resolve().then(() => close(...args));
    return closing;
  };
  const resource: OpenResource = {
    name,
    openedAt: openedHere(),
    close: async () => {
      await tracked(...([] as unknown[] as A));
    },
  };
  registry().add(resource);
  return tracked;
}

/** The resources open now, oldest first. */
export function openResources(): OpenResource[] {
  return [...registry()];
}

/** A leaked resource after the attempt to close it. */
export interface LeakedResource {
  name: string;
  openedAt: string;
  /** Why closing it failed, or `undefined` when it closed. */
  closeError?: string;
}

/**
 * Closes every resource still open, newest first (a harness closes before the database under it),
 * each within `timeoutMs`, and returns what was open.
 */
export async function closeOpenResources(timeoutMs = 10_000): Promise<LeakedResource[]> {
  const leaked: LeakedResource[] = [];
  for (const resource of openResources().reverse()) {
    // An earlier close (a harness's) may have closed this one already.
    if (!registry().has(resource)) {
      leaked.push({ name: resource.name, openedAt: resource.openedAt });
      continue;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`close did not finish within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([resource.close(), late]);
      leaked.push({ name: resource.name, openedAt: resource.openedAt });
    } catch (error) {
      leaked.push({ name: resource.name, openedAt: resource.openedAt, closeError: String(error) });
    } finally {
      clearTimeout(timer);
    }
  }
  return leaked.reverse();
}

/** The report a leaking test file fails with. */
export function describeLeaks(leaked: readonly LeakedResource[]): string {
  const lines = [`${leaked.length} resource(s) left open by this test file (now closed):`];
  for (const leak of leaked) {
    lines.push(`- ${leak.name}${leak.closeError ? ` (closing it failed: ${leak.closeError})` : ''}`);
    lines.push(leak.openedAt.replace(/^/gm, '    '));
  }
  return lines.join('\n');
}

function openedHere(): string {
  // V8's; deep enough to get from trackResource through a helper or two to the test file.
  const v8 = Error as { stackTraceLimit?: number };
  const limit = v8.stackTraceLimit;
  v8.stackTraceLimit = 30;
  const stack = new Error().stack ?? '';
  v8.stackTraceLimit = limit;
  return stack
    .split('\n')
    .slice(1)
    .filter((line) => !/tracked-resources|node:internal|\/node_modules\//.test(line))
    .map((line) => line.trim())
    .join('\n');
}
