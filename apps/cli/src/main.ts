#!/usr/bin/env node
/** `darkroom`: Darkroom from the command line, on the typed client (commands in program.ts). */
import { CommanderError } from 'commander';
import { darkroomErrorOf } from '@darkroom/client';
import type { Io } from './context.js';
import { EXIT, exitCodeFor, UsageError } from './exit-codes.js';
import { makeProgram } from './program.js';

/** Runs one invocation; resolves with the exit code. */
export async function runCli(
  argv: string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const json = argv.includes('--json');
  let code: number = EXIT.OK;
  const program = makeProgram(io, (exitCode) => {
    code = exitCode;
  });
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT.USAGE;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (caught) {
    let error = caught;
    if (error instanceof CommanderError) {
      // --help, `help`: shown, done. A command that needs a subcommand showed its help on stderr.
      if (error.exitCode === 0) return EXIT.OK;
      error = new UsageError(
        error.message === '(outputHelp)' ? 'a subcommand is needed (see above)' : error.message.replace(/^error: /, ''),
      );
    }
    const exitCode = exitCodeFor(error);
    const read = darkroomErrorOf(error);
    const message = error instanceof UsageError ? error.message : read.message;
    if (json)
      io.stdout.write(
        `${JSON.stringify({ error: { code: error instanceof UsageError ? 'USAGE' : read.code, message, exitCode } })}\n`,
      );
    io.stderr.write(`darkroom: ${message}\n`);
    return exitCode;
  }
}

process.exitCode = await runCli(process.argv.slice(2));
