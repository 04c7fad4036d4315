#!/usr/bin/env node
/**
 * `darkroom`: Darkroom from the command line, on the typed client.
 * Over 300 lines on purpose: the option table, its parsing and the commands reading it are one unit.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createDarkroomClient, darkroomErrorOf, WaitTimeout, type DarkroomClient } from '@darkroom/client';
import {
  ASPECT_RATIOS,
  DomainError,
  isTerminalStatus,
  JOB_STATUSES,
  OUTPUT_FORMATS,
  PRESETS,
  PRIORITIES,
  PROVIDER_NAMES,
  QUALITIES,
  type JobStatus,
  type JobView,
} from '@darkroom/core';
import { readCliEnv } from './env.js';
import { fraction, INPUT_OPTIONS, inputsFromFlags } from './inputs.js';
import { EXIT, exitCodeFor, UsageError } from './exit-codes.js';
import { makeProgressReporter } from './progress.js';

const HELP = `darkroom - asynchronous image generation from the command line

Usage:
  darkroom generate "prompt" [-n 4] [--preset cover] [-o ./out] [--no-wait] [--timeout 300]
                    [--aspect-ratio 2:3] [--style S] [--seed N] [--priority normal] [--provider local] [--quality high]
                    [--format png|jpeg|webp] [--not-before 2026-12-24T08:00:00Z]
                    [--image photo.jpg [--mask mask.png] [--strength 0.6]]
                    [--reference role=path ...]   (files are uploaded as assets first; mask: white = regenerate)
  darkroom vary <image-id> [--strength 0.6] [--prompt P] [-n 1] [--no-wait] [-o ./out]
  darkroom upscale <image-id> [--factor 2|4] [--no-wait] [-o ./out]
  darkroom status <job-id>
  darkroom list [--limit 20] [--status queued|running|succeeded|failed|canceled] [--cursor ID]
  darkroom cancel <job-id>
  darkroom retry <job-id> [--no-wait] [-o ./out]
  darkroom keys list | keys create <name> | keys revoke <key-id>

Options everywhere:
  --url URL        where Darkroom answers (env DARKROOM_URL, default http://127.0.0.1:3000)
  --api-key KEY    an API key, dk_... (env DARKROOM_API_KEY)
  --json           machine-readable output on stdout
  -q, --quiet      no progress on stderr
  -h, --help       this text

Exit codes:
  0 ok   1 job failed or canceled (or --timeout passed)   2 usage error or input refused
  3 authentication   4 not found   5 rate limited or out of credits   6 invalid state or conflict
  7 Darkroom unreachable or failing
`;

const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  json: { type: 'boolean', default: false },
  quiet: { type: 'boolean', short: 'q', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

const WAIT_OPTIONS = {
  out: { type: 'string', short: 'o' },
  'no-wait': { type: 'boolean', default: false },
  timeout: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const COMMAND_OPTIONS = {
  generate: {
    ...WAIT_OPTIONS,
    n: { type: 'string', short: 'n' },
    preset: { type: 'string' },
    'aspect-ratio': { type: 'string' },
    style: { type: 'string' },
    seed: { type: 'string' },
    priority: { type: 'string' },
    provider: { type: 'string' },
    quality: { type: 'string' },
    format: { type: 'string' },
    'negative-prompt': { type: 'string' },
    'idempotency-key': { type: 'string' },
    'not-before': { type: 'string' },
    ...INPUT_OPTIONS,
  },
  vary: {
    ...WAIT_OPTIONS,
    strength: { type: 'string' },
    prompt: { type: 'string' },
    n: { type: 'string', short: 'n' },
  },
  upscale: { ...WAIT_OPTIONS, factor: { type: 'string' } },
  status: {},
  list: { limit: { type: 'string' }, status: { type: 'string' }, cursor: { type: 'string' } },
  cancel: {},
  retry: WAIT_OPTIONS,
  keys: {},
} as const satisfies Record<string, ParseArgsConfig['options']>;
type Command = keyof typeof COMMAND_OPTIONS;

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** Runs one invocation; resolves with the exit code. */
async function runCli(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  const json = argv.includes('--json');
  try {
    if (!command || command === '-h' || command === '--help' || command === 'help') {
      io.stdout.write(HELP);
      return command ? EXIT.OK : EXIT.USAGE;
    }
    if (!(command in COMMAND_OPTIONS)) throw new UsageError(`unknown command "${command}" (try darkroom --help)`);
    const { values, positionals } = parseCommand(command as Command, rest);
    if (values.help) {
      io.stdout.write(HELP);
      return EXIT.OK;
    }
    const env = readCliEnv();
    const url = (values.url as string | undefined) ?? env.url;
    const apiKey = (values['api-key'] as string | undefined) ?? env.apiKey;
    let client: DarkroomClient | undefined;
    const context: CommandContext = {
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
      json: Boolean(values.json),
      quiet: Boolean(values.quiet),
    };
    return await COMMANDS[command as Command](context, values, positionals);
  } catch (error) {
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

function parseCommand(command: Command, args: string[]) {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...GLOBAL_OPTIONS, ...COMMAND_OPTIONS[command] },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Values, positionals };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

interface CommandContext {
  darkroom: DarkroomClient;
  url: string;
  apiKey: string;
  io: Io;
  json: boolean;
  quiet: boolean;
}
type Values = Record<string, string | boolean | string[] | undefined>;
type Handler = (context: CommandContext, values: Values, positionals: string[]) => Promise<number>;

const COMMANDS: Record<Command, Handler> = {
  async generate(context, values, positionals) {
    const [prompt, ...extra] = positionals;
    if (!prompt || extra.length > 0)
      throw new UsageError('generate takes one prompt: darkroom generate "a friendly dragon" -n 4');
    const request = {
      prompt,
      ...(values.n !== undefined ? { numImages: integer('n', values.n) } : {}),
      ...(values.preset !== undefined ? { preset: oneOf('preset', values.preset, PRESETS) } : {}),
      ...(values['aspect-ratio'] !== undefined
        ? { aspectRatio: oneOf('aspect-ratio', values['aspect-ratio'], ASPECT_RATIOS) }
        : {}),
      ...(values.style !== undefined ? { style: String(values.style) } : {}),
      ...(values.seed !== undefined ? { seed: integer('seed', values.seed) } : {}),
      ...(values.priority !== undefined ? { priority: oneOf('priority', values.priority, PRIORITIES) } : {}),
      ...(values.provider !== undefined ? { provider: oneOf('provider', values.provider, PROVIDER_NAMES) } : {}),
      ...(values.quality !== undefined ? { quality: oneOf('quality', values.quality, QUALITIES) } : {}),
      ...(values.format !== undefined ? { outputFormat: oneOf('format', values.format, OUTPUT_FORMATS) } : {}),
      ...(values['negative-prompt'] !== undefined ? { negativePrompt: String(values['negative-prompt']) } : {}),
      ...(values['idempotency-key'] !== undefined ? { idempotencyKey: String(values['idempotency-key']) } : {}),
      // The API checks it (ISO 8601, future, at most 30 days ahead) and names the field when it refuses.
      ...(values['not-before'] !== undefined ? { notBefore: String(values['not-before']) } : {}),
    };
    const inputs = await inputsFromFlags(context.darkroom, values);
    return follow(context, values, await context.darkroom.submit({ ...request, ...(inputs ? { inputs } : {}) }));
  },

  async vary(context, values, positionals) {
    const imageId = onlyId('vary', positionals, 'image');
    const job = await context.darkroom.trpc.jobs.vary.mutate({
      imageId,
      ...(values.strength !== undefined ? { strength: fraction('strength', values.strength) } : {}),
      ...(typeof values.prompt === 'string' ? { prompt: values.prompt } : {}),
      ...(values.n !== undefined ? { numImages: integer('n', values.n) } : {}),
    });
    return follow(context, values, job);
  },

  async upscale(context, values, positionals) {
    const imageId = onlyId('upscale', positionals, 'image');
    const factor = values.factor === undefined ? 2 : Number(oneOf('factor', values.factor, ['2', '4']));
    const job = await context.darkroom.trpc.jobs.upscale.mutate({ imageId, factor: factor as 2 | 4 });
    return follow(context, values, job);
  },

  async status(context, _values, positionals) {
    const ref = { id: onlyId('status', positionals) };
    const job = await context.darkroom.trpc.jobs.get.query(ref);

    print(context, job, () => summary(job));
    return EXIT.OK;
  },

  async list(context, values) {
    const query = {
      ...(values.limit !== undefined ? { limit: integer('limit', values.limit) } : {}),
      ...(values.status !== undefined ? { status: oneOf('status', values.status, JOB_STATUSES) as JobStatus } : {}),
      ...(values.cursor !== undefined ? { cursor: String(values.cursor) } : {}),
    };
    const page = await context.darkroom.trpc.jobs.list.query(query);
    print(context, page, () =>
      [
        ...page.items.map(
          (job) =>
            `${job.id}  ${job.status.padEnd(9)} ${String(job.progress).padStart(3)}%  ${job.numImages} x ${job.preset}  ${truncate(job.prompt, 50)}`,
        ),
        ...(page.nextCursor ? [`(more: --cursor ${page.nextCursor})`] : []),
      ].join('\n'),
    );
    return EXIT.OK;
  },

  async cancel(context, _values, positionals) {
    const ref = { id: onlyId('cancel', positionals) };
    const job = await context.darkroom.trpc.jobs.cancel.mutate(ref);

    print(context, job, () =>
      job.status === 'canceled'
        ? `canceled ${job.id}`
        : `cancel requested for ${job.id} (it is ${job.status}; it stops before its next image)`,
    );
    return EXIT.OK;
  },

  async retry(context, values, positionals) {
    const ref = { id: onlyId('retry', positionals) };
    const job = await context.darkroom.trpc.jobs.retry.mutate(ref);

    return follow(context, values, job);
  },

  async keys(context, _values, positionals) {
    const [action, ...args] = positionals;
    if (action === 'list' && args.length === 0) {
      const keys = await context.darkroom.trpc.apiKeys.list.query();
      print(
        context,
        keys,
        () =>
          keys
            .map((key) => `${key.id}  ${key.prefix}  ${key.name}  last used ${key.lastUsedAt ?? 'never'}`)
            .join('\n') || 'no API keys',
      );
      return EXIT.OK;
    }
    if (action === 'create' && args.length === 1) {
      const created = await context.darkroom.trpc.apiKeys.create.mutate({ name: args[0]! });
      print(context, created, () => `${created.key}\n(shown once; id ${created.apiKey.id})`);
      return EXIT.OK;
    }
    if (action === 'revoke' && args.length === 1) {
      const revoked = await context.darkroom.trpc.apiKeys.revoke.mutate({ id: args[0]! });
      print(context, revoked, () => `revoked ${revoked.id}`);
      return EXIT.OK;
    }
    throw new UsageError('keys takes: list | create <name> | revoke <key-id>');
  },
};

/** After a submit or retry: print the id, or wait with progress, save the images, exit by outcome. */
async function follow(context: CommandContext, values: Values, submitted: JobView): Promise<number> {
  if (values['no-wait']) {
    print(context, submitted, () => submitted.id);
    return EXIT.OK;
  }
  const timeout = values.timeout === undefined ? undefined : integer('timeout', values.timeout) * 1000;
  const progress = makeProgressReporter(context.io.stderr, { quiet: context.quiet });
  progress.update(submitted);
  let job: JobView;
  try {
    job = await context.darkroom.wait(submitted.id, {
      onProgress: (view) => progress.update(view),
      ...(timeout !== undefined ? { timeoutMs: timeout } : {}),
    });
  } catch (error) {
    progress.done();
    if (error instanceof WaitTimeout) {
      context.io.stderr.write(`darkroom: ${error.message}; follow it with: darkroom status ${submitted.id}\n`);
      if (context.json)
        context.io.stdout.write(
          `${JSON.stringify({ error: { code: 'TIMEOUT', message: error.message, exitCode: EXIT.JOB_FAILED }, jobId: submitted.id })}\n`,
        );
      return EXIT.JOB_FAILED;
    }
    throw error;
  }
  progress.done();
  const files = typeof values.out === 'string' ? await saveImages(context, job, values.out) : [];
  print(context, { job, files }, () =>
    [
      summary(job),
      ...(files.length ? files : job.images.filter((image) => image.url).map((image) => `${context.url}${image.url}`)),
    ].join('\n'),
  );
  return job.status === 'succeeded' ? EXIT.OK : EXIT.JOB_FAILED;
}

async function saveImages(context: CommandContext, job: JobView, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const image of job.images) {
    if (!image.url) continue;
    const response = await fetch(`${context.url}${image.url}`, {
      headers: { authorization: `Bearer ${context.apiKey}` },
    });
    if (!response.ok) throw new Error(`downloading image ${image.index} of ${job.id} failed: HTTP ${response.status}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    const file = path.join(dir, `${job.id}-${image.index}.${extensionOf(bytes, response.headers.get('content-type'))}`);
    await writeFile(file, bytes);
    files.push(file);
  }
  return files;
}

/** The file extension for an image: from its first bytes, else its content type, else `bin`. */
function extensionOf(bytes: Buffer, contentType: string | null): string {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpg';
  if (bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  const byType: Record<string, string> = {
    'image/png': 'png',
    'image/jpeg': 'jpg',
    'image/webp': 'webp',
    'image/gif': 'gif',
    'image/avif': 'avif',
  };
  return byType[contentType?.split(';')[0]?.trim().toLowerCase() ?? ''] ?? 'bin';
}

function print(context: CommandContext, value: unknown, human: () => string) {
  context.io.stdout.write(context.json ? `${JSON.stringify(value)}\n` : `${human()}\n`);
}

function summary(job: JobView): string {
  const where = isTerminalStatus(job.status)
    ? ''
    : job.status === 'queued'
      ? ` (position ${job.queuePosition ?? '?'})`
      : ` (${job.stage ?? 'starting'})`;
  const error = job.error ? `\n  error: ${job.error.code}: ${job.error.message}` : '';
  return `${job.id} ${job.status}${where} ${job.progress}%, ${job.counts.succeeded}/${job.numImages} images, ${job.preset}: ${truncate(job.prompt, 60)}${error}`;
}

function onlyId(command: string, positionals: string[], what: 'job' | 'image' = 'job'): string {
  if (positionals.length !== 1)
    throw new UsageError(`${command} takes one ${what} id: darkroom ${command} <${what}-id>`);
  return positionals[0]!;
}

function integer(name: string, value: string | boolean | string[] | undefined): number {
  const number = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || !Number.isSafeInteger(number))
    throw new UsageError(`--${name} must be a whole number (got ${String(value)})`);
  return number;
}

function oneOf<T extends string>(
  name: string,
  value: string | boolean | string[] | undefined,
  allowed: readonly T[],
): T {
  if (typeof value !== 'string' || !allowed.includes(value as T))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got ${String(value)})`);
  return value as T;
}

function truncate(text: string, length: number) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

process.exitCode = await runCli(process.argv.slice(2));
