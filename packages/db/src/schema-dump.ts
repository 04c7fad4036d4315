/**
 * `packages/db/schema.sql`: the darkroom (public) schema of a fully migrated database, printed from
 * the catalogs in a fixed order, so that every migration's effect is a readable diff of one committed
 * file (graphile-worker keeps `__tests__/schema.sql` for the same reason). The embedded Postgres has no
 * pg_dump, and pg_dump's output also moves with its version; this prints only what our migrations
 * shape: enums, sequences, tables (columns, types, defaults, nullability), constraints, indexes,
 * views, functions (signature and a digest; the body is `packages/db/sql/<name>.sql`) and triggers.
 * graphile-worker's own schema and Prisma's `_prisma_migrations` are left out.
 *
 * Regenerate: `pnpm --filter @darkroom/db run schema:dump` (`pnpm db:migration` does it too);
 * `schema-dump.test.ts` fails when the file and a freshly migrated database differ.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** `packages/db/schema.sql`. */
export const SCHEMA_DUMP_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../schema.sql');

/** The command that rewrites the dump, for messages. */
export const SCHEMA_DUMP_COMMAND = 'pnpm --filter @darkroom/db run schema:dump';

const HEADER = `-- The darkroom schema of a fully migrated database (public schema; graphile-worker's and
-- _prisma_migrations left out). Generated from the catalogs by packages/db/src/schema-dump.ts: do not
-- edit. Regenerate with \`${SCHEMA_DUMP_COMMAND}\` (\`pnpm db:migration\` does it);
-- packages/db/src/schema-dump.test.ts fails when this file and the migrations disagree.
-- Function bodies live in packages/db/sql/<name>.sql; here each has its signature and an md5 of its
-- definition, so a changed body shows as a changed line.
`;

/** The dump of the database at `url`. */
export async function dumpSchema(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = async <Row extends pg.QueryResultRow>(sql: string) => (await client.query<Row>(sql)).rows;
    const out: string[] = [HEADER];

    for (const e of await rows<{ name: string; labels: string[] }>(`
      select format_type(t.oid, null) as name, array_agg(e.enumlabel order by e.enumsortorder)::text[] as labels
      from pg_type t join pg_enum e on e.enumtypid = t.oid
      where t.typnamespace = 'public'::regnamespace group by t.oid order by t.typname`)) {
      out.push(`CREATE TYPE ${e.name} AS ENUM (\n${e.labels.map((label) => `    ${quote(label)}`).join(',\n')}\n);\n`);
    }

    for (const s of await rows<{ line: string }>(`
      select format('CREATE SEQUENCE %s AS %s START %s INCREMENT %s MINVALUE %s MAXVALUE %s CACHE %s%s;%s',
          c.relname, format_type(s.seqtypid, null), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
          case when s.seqcycle then ' CYCLE' else '' end,
          coalesce(' -- owned by ' || owner.relname || '.' || a.attname, '')) as line
      from pg_sequence s join pg_class c on c.oid = s.seqrelid
      left join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'a'
        and d.refclassid = 'pg_class'::regclass
      left join pg_class owner on owner.oid = d.refobjid
      left join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
      where c.relnamespace = 'public'::regnamespace order by c.relname`)) {
      out.push(`${s.line}\n`);
    }

    const tables = await rows<{ oid: number; name: string }>(`
      select c.oid, c.relname as name from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and c.relname <> '_prisma_migrations'
      order by c.relname`);
    for (const table of tables) out.push(await dumpTable(client, table));

    for (const v of await rows<{ name: string; definition: string }>(`
      select viewname as name, definition from pg_views where schemaname = 'public' order by viewname`)) {
      out.push(`CREATE VIEW ${v.name} AS\n${v.definition.trimEnd()}\n`);
    }

    const functions = await rows<{ line: string }>(`
      select format('FUNCTION %s(%s) RETURNS %s LANGUAGE %s %s%s -- md5 %s, body: packages/db/sql/%s.sql',
          p.proname, pg_get_function_identity_arguments(p.oid), pg_get_function_result(p.oid), l.lanname,
          case p.provolatile when 'i' then 'IMMUTABLE' when 's' then 'STABLE' else 'VOLATILE' end,
          case when p.prosecdef then ' SECURITY DEFINER' else '' end,
          md5(pg_get_functiondef(p.oid)), p.proname) as line
      from pg_proc p join pg_language l on l.oid = p.prolang
      where p.pronamespace = 'public'::regnamespace
      order by p.proname, pg_get_function_identity_arguments(p.oid)`);
    if (functions.length > 0) out.push(`${functions.map((f) => f.line).join('\n')}\n`);
    return out.join('\n');
  } finally {
    await client.end();
  }
}

async function dumpTable(client: pg.Client, table: { oid: number; name: string }): Promise<string> {
  const query = async <Row extends pg.QueryResultRow>(sql: string) => (await client.query<Row>(sql, [table.oid])).rows;
  const columns = await query<{ line: string }>(`
    select format('    %s %s%s%s%s', quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
        case when a.attgenerated = 's' then ' GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') STORED'
             when d.adbin is not null then ' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid) else '' end,
        case a.attidentity when 'a' then ' GENERATED ALWAYS AS IDENTITY' when 'd' then ' GENERATED BY DEFAULT AS IDENTITY' else '' end,
        case when a.attnotnull then ' NOT NULL' else '' end) as line
    from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped order by a.attnum`);
  // NOT NULL constraints (catalogued as constraints since PostgreSQL 18) are on the columns above.
  const constraints = await query<{ line: string }>(`
    select format('ALTER TABLE %s ADD CONSTRAINT %s %s;', $1::regclass::text, quote_ident(conname), pg_get_constraintdef(oid)) as line
    from pg_constraint where conrelid = $1 and contype <> 'n'
    order by case contype when 'p' then 0 when 'u' then 1 when 'f' then 2 when 'c' then 3 else 4 end, conname`);
  // Indexes that back a constraint are the constraint's, as pg_dump prints them.
  const indexes = await query<{ line: string }>(`
    select pg_get_indexdef(i.indexrelid) || ';' as line from pg_index i join pg_class c on c.oid = i.indexrelid
    where i.indrelid = $1 and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = $1)
    order by c.relname`);
  const triggers = await query<{ line: string }>(`
    select pg_get_triggerdef(oid) || ';' as line from pg_trigger where tgrelid = $1 and not tgisinternal order by tgname`);
  return [
    `CREATE TABLE ${table.name} (\n${columns.map((c) => c.line).join(',\n')}\n);`,
    ...[constraints, indexes, triggers]
      .filter((lines) => lines.length > 0)
      .map((lines) => lines.map((l) => l.line).join('\n')),
  ]
    .join('\n')
    .concat('\n');
}

function quote(text: string) {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The lines each side has that the other lacks (a short, order-blind account of a difference). */
export function dumpDifferences(committed: string, migrated: string): string[] {
  const count = (text: string) => {
    const counts = new Map<string, number>();
    for (const line of text.split('\n')) if (line.trim()) counts.set(line, (counts.get(line) ?? 0) + 1);
    return counts;
  };
  const [inFile, inDatabase] = [count(committed), count(migrated)];
  const only = (a: Map<string, number>, b: Map<string, number>) =>
    [...a].filter(([line, n]) => n > (b.get(line) ?? 0)).map(([line]) => line);
  return [
    ...only(inFile, inDatabase).map((line) => `- ${line}   (in schema.sql, not in the migrated database)`),
    ...only(inDatabase, inFile).map((line) => `+ ${line}   (in the migrated database, not in schema.sql)`),
  ];
}
