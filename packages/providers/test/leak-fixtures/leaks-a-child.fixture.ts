// Leaks on purpose: starts a child process (named by LEAK_MARKER) and leaves it running.
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';

it('starts a child process and forgets it', () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', process.env.LEAK_MARKER!], {
    stdio: 'ignore',
  });
  expect(child.pid).toBeGreaterThan(0);
});
