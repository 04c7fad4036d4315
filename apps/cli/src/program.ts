/**
 * The `darkroom` commands, their options and help, on commander. Every value is parsed and checked
 * while the arguments are read (a bad one is a UsageError naming its flag), so nothing is sent for a
 * mistaken command line. Each action sets the exit code through `exit`.
 */
import { Command, Option } from 'commander';
import {
  ASPECT_RATIOS,
  JOB_STATUSES,
  OUTPUT_FORMATS,
  PRESETS,
  PRIORITIES,
  PROVIDER_NAMES,
  QUALITIES,
} from '@darkroom/core';
import { defineCollectionCommands } from './collections.js';
import { makeContext, print, type CommandContext, type GlobalFlags, type Io } from './context.js';
import { EXIT } from './exit-codes.js';
import { follow, summary, truncate, type WaitFlags } from './follow.js';
import { inputsFromFlags, type InputFlags } from './inputs.js';
import { collect, fraction, integer, oneOf } from './options.js';

const ABOUT = `Environment:
  DARKROOM_URL       where Darkroom answers (default http://127.0.0.1:3000); --url overrides it
  DARKROOM_API_KEY   an API key, dk_... (create one in the web app); --api-key overrides it

Exit codes:
  0 ok   1 job failed or canceled (or --timeout passed)   2 usage error or input refused
  3 authentication   4 not found   5 rate limited or out of credits   6 invalid state or conflict
  7 Darkroom unreachable or failing

Run "darkroom <command> --help" for a command's options.`;

/** Builds the program for one invocation; `exit` records the code its action ends with. */
export function makeProgram(io: Io, exit: (code: number) => void): Command {
  const program = new Command('darkroom')
    .description('Darkroom, asynchronous image generation, from the command line')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Errors are reported once, by the caller, as `darkroom: ...` (and as JSON with --json).
      outputError: () => undefined,
    })
    .showSuggestionAfterError()
    .addHelpText('after', `\n${ABOUT}`);

  /** Adds the options every command takes and runs `body` with its context, recording its exit code. */
  const define = <A extends unknown[]>(
    command: Command,
    body: (context: CommandContext, flags: never, ...args: A) => Promise<number>,
  ) =>
    command
      .option('--url <url>', 'where Darkroom answers (env DARKROOM_URL, default http://127.0.0.1:3000)')
      .option('--api-key <key>', 'an API key, dk_... (env DARKROOM_API_KEY)')
      .option('--json', 'machine-readable output on stdout')
      .option('-q, --quiet', 'no progress on stderr')
      .action(async (...received: unknown[]) => {
        const self = received.at(-1) as Command;
        const flags = self.opts<GlobalFlags>();
        const args = received.slice(0, -2) as A;
        exit(await body(makeContext(flags, io), flags as never, ...args));
      });

  define(
    waitOptions(
      program
        .command('generate')
        .summary('generate images from a prompt (and input images)')
        .description(
          'Submits a job and follows it with progress on stderr; prints the finished job (or its id with --no-wait).\n' +
            'Input files are uploaded as assets first; a mask is white where the image is regenerated.',
        )
        .argument('<prompt>', 'what to make')
        .option('-n, --num-images <count>', 'how many images', integer('-n'))
        .addOption(choice('--preset <preset>', 'what the images are for', PRESETS))
        .addOption(choice('--aspect-ratio <ratio>', 'shape of the images', ASPECT_RATIOS))
        .option('--style <style>', 'a style to add to the prompt')
        .option('--seed <seed>', 'a seed, for repeatable images', integer('--seed'))
        .addOption(choice('--priority <priority>', 'queue priority', PRIORITIES))
        .addOption(choice('--provider <provider>', 'who makes the images', PROVIDER_NAMES))
        .addOption(choice('--quality <quality>', "the provider's quality", QUALITIES))
        .addOption(choice('--format <format>', 'the images\u2019 file format', OUTPUT_FORMATS))
        .option('--negative-prompt <text>', 'what to keep out')
        .option('--idempotency-key <key>', 'makes the submit safe to repeat')
        // The API checks it (ISO 8601, future, at most 30 days ahead) and names the field when it refuses.
        .option('--not-before <time>', 'start no earlier than this time (ISO 8601, e.g. 2026-12-24T08:00:00Z)')
        .option('--image <file>', 'an image to transform (image-to-image, or inpaint with --mask)')
        .option('--mask <file>', 'where to regenerate: white = regenerate, black = keep')
        .option(
          '--reference <role=file>',
          'a reference image, repeatable (role: subject, style, product, ...)',
          collect,
        )
        .option('--strength <0..1>', 'how far to move from --image', fraction('--strength'))
        .addHelpText(
          'after',
          '\nExamples:\n  darkroom generate "a friendly dragon" -n 4 --preset cover -o ./out\n' +
            '  darkroom generate "on a beach" --image shoe.jpg --reference style=palette.png --previews ./previews',
        ),
    ),
    async (context, flags: GenerateFlags, prompt: string) => {
      const request = {
        prompt,
        ...pick(flags, ['preset', 'aspectRatio', 'style', 'seed', 'priority', 'provider', 'quality']),
        ...pick(flags, ['negativePrompt', 'idempotencyKey', 'notBefore']),
        ...(flags.numImages !== undefined ? { numImages: flags.numImages } : {}),
        ...(flags.format !== undefined ? { outputFormat: flags.format } : {}),
      };
      const inputs = await inputsFromFlags(context.darkroom, flags);
      return follow(context, flags, await context.darkroom.submit({ ...request, ...(inputs ? { inputs } : {}) }));
    },
  );

  define(
    waitOptions(
      program
        .command('vary')
        .summary('a new job: image-to-image from one of your results')
        .argument('<image-id>', 'the result to vary')
        .option('--strength <0..1>', 'how far to move from it', fraction('--strength'))
        .option('--prompt <prompt>', 'a prompt for the variation (default: the original one)')
        .option('-n, --num-images <count>', 'how many variations', integer('-n')),
    ),
    async (context, flags: WaitFlags & { strength?: number; prompt?: string; numImages?: number }, imageId: string) =>
      follow(
        context,
        flags,
        await context.darkroom.trpc.jobs.vary.mutate({ imageId, ...pick(flags, ['strength', 'prompt', 'numImages']) }),
      ),
  );

  define(
    waitOptions(
      program
        .command('upscale')
        .summary('a new job: one of your results, 2x or 4x larger')
        .argument('<image-id>', 'the result to upscale')
        .addOption(choice('--factor <factor>', 'how much larger', ['2', '4'] as const).default('2')),
    ),
    async (context, flags: WaitFlags & { factor: '2' | '4' }, imageId: string) =>
      follow(
        context,
        flags,
        await context.darkroom.trpc.jobs.upscale.mutate({ imageId, factor: Number(flags.factor) as 2 | 4 }),
      ),
  );

  define(program.command('status').summary('show a job').argument('<job-id>'), async (context, _flags, id: string) => {
    const job = await context.darkroom.trpc.jobs.get.query({ id });
    print(context, job, () => summary(job));
    return EXIT.OK;
  });

  define(
    program
      .command('list')
      .summary('list your jobs, newest first')
      .option('--limit <count>', 'jobs per page (default 20)', integer('--limit'))
      .addOption(choice('--status <status>', 'only jobs in this state', JOB_STATUSES))
      .option('--cursor <id>', 'the next page, as the previous one said'),
    async (context, flags: { limit?: number; status?: (typeof JOB_STATUSES)[number]; cursor?: string }) => {
      const page = await context.darkroom.trpc.jobs.list.query(pick(flags, ['limit', 'status', 'cursor']));
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
  );

  define(
    program.command('cancel').summary('cancel a queued or running job').argument('<job-id>'),
    async (context, _flags, id: string) => {
      const job = await context.darkroom.trpc.jobs.cancel.mutate({ id });
      print(context, job, () =>
        job.status === 'canceled'
          ? `canceled ${job.id}`
          : `cancel requested for ${job.id} (it is ${job.status}; it stops before its next image)`,
      );
      return EXIT.OK;
    },
  );

  define(
    waitOptions(program.command('retry').summary('queue a failed or canceled job again').argument('<job-id>')),
    async (context, flags: WaitFlags, id: string) =>
      follow(context, flags, await context.darkroom.trpc.jobs.retry.mutate({ id })),
  );

  const keys = program.command('keys').summary('your API keys: list, create, revoke');
  define(keys.command('list').summary('list your API keys'), async (context) => {
    const list = await context.darkroom.trpc.apiKeys.list.query();
    print(
      context,
      list,
      () =>
        list.map((key) => `${key.id}  ${key.prefix}  ${key.name}  last used ${key.lastUsedAt ?? 'never'}`).join('\n') ||
        'no API keys',
    );
    return EXIT.OK;
  });
  define(
    keys.command('create').summary('create a key (shown once)').argument('<name>'),
    async (context, _flags, name: string) => {
      const created = await context.darkroom.trpc.apiKeys.create.mutate({ name });
      print(context, created, () => `${created.key}\n(shown once; id ${created.apiKey.id})`);
      return EXIT.OK;
    },
  );
  define(keys.command('revoke').summary('revoke a key').argument('<key-id>'), async (context, _flags, id: string) => {
    const revoked = await context.darkroom.trpc.apiKeys.revoke.mutate({ id });
    print(context, revoked, () => `revoked ${revoked.id}`);
    return EXIT.OK;
  });
  defineCollectionCommands(program, define);
  return program;
}

type GenerateFlags = WaitFlags &
  InputFlags & {
    numImages?: number;
    preset?: (typeof PRESETS)[number];
    aspectRatio?: (typeof ASPECT_RATIOS)[number];
    style?: string;
    seed?: number;
    priority?: (typeof PRIORITIES)[number];
    provider?: (typeof PROVIDER_NAMES)[number];
    quality?: (typeof QUALITIES)[number];
    format?: (typeof OUTPUT_FORMATS)[number];
    negativePrompt?: string;
    idempotencyKey?: string;
    notBefore?: string;
  };

/** The options of every command that submits a job and may follow it. */
function waitOptions(command: Command): Command {
  return command
    .option('-o, --out <dir>', 'save the images here, each with the extension of its real format')
    .option('--no-wait', 'only submit; print the job id')
    .option('--timeout <seconds>', 'stop waiting after this long (exit 1; the job goes on)', integer('--timeout'))
    .option('--previews <dir>', 'save each preview of a running image here as it arrives');
}

/** An option taking one of a closed set: listed in the help, refused by name otherwise. */
function choice<T extends string>(flags: string, description: string, allowed: readonly T[]): Option {
  const option = new Option(flags, description).choices(allowed);
  // Our parser after choices(): the help still lists them, a bad value is a UsageError naming the flag.
  return option.argParser(oneOf(option.long!, allowed));
}

/** The given keys of `flags` that are set. */
function pick<T extends object, K extends keyof T>(flags: T, keys: readonly K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((key) => flags[key] !== undefined).map((key) => [key, flags[key]])) as Partial<
    Pick<T, K>
  >;
}
