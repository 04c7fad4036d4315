// Loaded before every test file of every package (darkroomTestConfig's setupFiles): after the file's own
// hooks, anything a test helper opened and nobody closed (a test database, a fake vendor server, an API
// harness, a worker, a stack), and any child process the file started and left running, fails the file
// with its name and where it was opened, and is then closed or killed so it cannot hang the run.
// See docs/testing.md, "Leaked resources".
import { readdirSync, readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { afterAll } from 'vitest';
import { closeOpenResources, describeLeaks } from './packages/core/src/tracked-resources.js';

// Now, before the test file is even imported (its top level could start something).
const childrenBefore = new Set(liveChildren().map((child) => child.pid));

// Registered before the test file's own hooks, so (vitest runs after-hooks as a stack) it runs after them.
afterAll(async () => {
  const leaked = await closeOpenResources();
  const strays = liveChildren().filter((child) => !childrenBefore.has(child.pid));
  await Promise.all(strays.map((child) => kill(child.pid)));
  const report: string[] = [];
  if (leaked.length > 0) report.push(describeLeaks(leaked));
  if (strays.length > 0) {
    report.push(`${strays.length} child process(es) left running by this test file (now killed):`);
    for (const child of strays) report.push(`- pid ${child.pid}: ${child.command}`);
  }
  if (report.length > 0) throw new Error(report.join('\n'));
}, 60_000);

interface Child {
  pid: number;
  command: string;
}

/** This process's live (not zombie) children. Only a forked test process owns its children alone. */
function liveChildren(): Child[] {
  if (!isMainThread || process.platform !== 'linux') return [];
  const children: Child[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // `pid (comm) state ppid ...`; comm may hold spaces and parentheses, so read after the last `)`.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== process.pid || state === 'Z') continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      children.push({ pid: Number(entry), command: command.slice(0, 300) });
    } catch {
      // It ended while we looked.
    }
  }
  return children;
}

/** SIGTERM to the child's process group (a detached child leads its own) or to it, SIGKILL after 3 s. */
async function kill(pid: number): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, name);
        return;
      } catch {
        // Not a group leader, or already gone.
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + 3_000;
  while (Date.now() < deadline) {
    if (!liveChildren().some((child) => child.pid === pid)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  signal('SIGKILL');
}
