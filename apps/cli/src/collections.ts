/** `darkroom collections ...`: the caller's collections (boards) of gallery images. */
import type { Command } from 'commander';
import { print, type CommandContext } from './context.js';
import { EXIT } from './exit-codes.js';

type Define = <A extends unknown[]>(
  command: Command,
  body: (context: CommandContext, flags: never, ...args: A) => Promise<number>,
) => Command;

interface Board {
  id: string;
  name: string;
  images: number;
}
const line = (board: Board) => `${board.id}  ${board.name}  ${board.images} image${board.images === 1 ? '' : 's'}`;

export function defineCollectionCommands(program: Command, define: Define) {
  const collections = program
    .command('collections')
    .summary('your collections of gallery images: list, create, rename, delete, add, remove');
  define(collections.command('list').summary('list your collections'), async (context) => {
    const list = await context.darkroom.trpc.collections.list.query();
    print(context, list, () => list.map(line).join('\n') || 'no collections');
    return EXIT.OK;
  });
  define(
    collections.command('create').summary('make a collection').argument('<name>'),
    async (context, _flags, name: string) => {
      const board = await context.darkroom.trpc.collections.create.mutate({ name });
      print(context, board, () => line(board));
      return EXIT.OK;
    },
  );
  define(
    collections.command('rename').summary('rename a collection').argument('<collection-id>').argument('<name>'),
    async (context, _flags, id: string, name: string) => {
      const board = await context.darkroom.trpc.collections.rename.mutate({ id, name });
      print(context, board, () => line(board));
      return EXIT.OK;
    },
  );
  define(
    collections.command('delete').summary('delete a collection (its images stay)').argument('<collection-id>'),
    async (context, _flags, id: string) => {
      const deleted = await context.darkroom.trpc.collections.delete.mutate({ id });
      print(context, deleted, () => `deleted ${id}`);
      return EXIT.OK;
    },
  );
  for (const [verb, summary] of [
    ['add', 'put images in a collection (all or none)'],
    ['remove', 'take images out of a collection (they stay in the gallery)'],
  ] as const)
    define(
      collections.command(verb).summary(summary).argument('<collection-id>').argument('<image-ids...>'),
      async (context, _flags, id: string, imageIds: string[]) => {
        const board = await context.darkroom.trpc.collections[verb].mutate({ id, imageIds });
        print(context, board, () => line(board));
        return EXIT.OK;
      },
    );
}
