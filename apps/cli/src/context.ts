/** What every command gets: the client (made on first use), where Darkroom is, and how to print. */
import { createDarkroomClient, type DarkroomClient } from '@darkroom/client';
import { DomainError } from '@darkroom/core';
import { readCliEnv } from './env.js';

export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export interface CommandContext {
  darkroom: DarkroomClient;
  url: string;
  apiKey: string;
  io: Io;
  json: boolean;
  quiet: boolean;
}

/** The value as JSON with --json, else the human line(s). */
export function print(context: CommandContext, value: unknown, human: () => string) {
  context.io.stdout.write(context.json ? `${JSON.stringify(value)}\n` : `${human()}\n`);
}

/** The options every command takes. */
export interface GlobalFlags {
  url?: string;
  apiKey?: string;
  json?: boolean;
  quiet?: boolean;
}

export function makeContext(flags: GlobalFlags, io: Io): CommandContext {
  const env = readCliEnv();
  const url = flags.url ?? env.url;
  const apiKey = flags.apiKey ?? env.apiKey;
  let client: DarkroomClient | undefined;
  return {
    // Made on first use, so a usage mistake is reported as one even without a key.
    get darkroom() {
      if (!apiKey)
        throw new DomainError(
          'UNAUTHORIZED',
          'no API key: pass --api-key or set DARKROOM_API_KEY (create one in the web app)',
        );
      return (client ??= createDarkroomClient({ url, apiKey }));
    },
    url,
    apiKey: apiKey ?? '',
    io,
    json: Boolean(flags.json),
    quiet: Boolean(flags.quiet),
  };
}
