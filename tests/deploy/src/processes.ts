/**
 * Child processes for the production-install test, each bounded in time: a command that runs too long,
 * a process that does not start or does not stop, is killed with its whole process group, and the test
 * fails with what it said. Nothing here may hang a test run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface Started {
  child: ChildProcess;
  output(): string;
  /** The first match of `pattern` in the output, waiting at most `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM to its group, its exit code; past `timeoutMs` SIGKILL and an error with its output. */
  stop(timeoutMs: number): Promise<number | null>;
}

/** Starts `command` in its own process group, with exactly `env` (nothing of this process's own). */
export function start(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Started {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => output,
    async waitFor(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = output.match(pattern);
        if (match) return match;
        if (!running()) throw new Error(`${command} ${args.join(' ')} exited (${child.exitCode}):\n${output}`);
        if (Date.now() > deadline) {
          killGroup(child, 'SIGKILL');
          throw new Error(`no ${pattern} from ${args.join(' ')} within ${timeoutMs} ms (killed):\n${output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop(timeoutMs) {
      if (running()) killGroup(child, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
      const outcome = await Promise.race([exited, late]).finally(() => clearTimeout(timer));
      if (outcome !== 'late') return outcome;
      killGroup(child, 'SIGKILL');
      await exited;
      throw new Error(`${args.join(' ')} did not stop within ${timeoutMs} ms of SIGTERM (killed):\n${output}`);
    },
  };
}

/** Runs a command to its end within `timeoutMs`; rejects with its output if it fails or runs over. */
export async function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<string> {
  const started = start(command, args, options);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), options.timeoutMs)));
  const code = await Promise.race([
    new Promise<number | null>((resolve) => started.child.once('exit', resolve)),
    late,
  ]).finally(() => clearTimeout(timer));
  if (code === 'late') {
    killGroup(started.child, 'SIGKILL');
    throw new Error(`${command} ${args.join(' ')} ran over ${options.timeoutMs} ms (killed):\n${started.output()}`);
  }
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${started.output()}`);
  return started.output();
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // The group has ended.
  }
}

/** SIGKILLs every process whose command line mentions `needle` (a scratch directory): Postgres included. */
export function killProcessesMentioning(needle: string): number[] {
  const killed: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) continue;
      process.kill(Number(entry), 'SIGKILL');
      killed.push(Number(entry));
    } catch {
      // It ended while we looked.
    }
  }
  return killed;
}
