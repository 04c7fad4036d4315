/**
 * The plpgsql functions and their triggers, as source: `packages/db/sql/<function>.sql` holds one
 * function's current definition (as `pg_get_functiondef` prints it) and `CREATE OR REPLACE TRIGGER` for
 * each trigger that runs it. Migrations are generated from changes to these files
 * (`scripts/new-migration.mjs`, against the copy kept as of the last migration in
 * `prisma/migrations/sql.snapshot/`), so a function is read in one place, not pieced together from
 * every migration that redefined it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `packages/db/sql`. */
export const SQL_SOURCES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../sql');

export interface SqlSource {
  /** The function's name: the file is `<name>.sql`. */
  name: string;
  sql: string;
  /** `public.name(arg type, ...)`, enough to DROP it. */
  signature: string;
  /** Everything before the body: name, arguments, return type, language. A change here needs drop + create. */
  header: string;
  triggers: { name: string; table: string }[];
}

/** The sources in `dir`, by name. */
export function readSqlSources(dir: string = SQL_SOURCES_DIR): SqlSource[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => parseSqlSource(path.basename(file, '.sql'), readFileSync(path.join(dir, file), 'utf8')));
}

export function parseSqlSource(name: string, sql: string): SqlSource {
  const statements = splitStatements(sql);
  const functions = statements.filter((statement) => /^CREATE\s+(OR\s+REPLACE\s+)?FUNCTION\b/i.test(statement));
  if (functions.length !== 1)
    throw new Error(`sql/${name}.sql: holds ${functions.length} functions; it must hold exactly one`);
  const definition = functions[0]!;
  const header = definition
    .slice(0, definition.search(/\bAS\s+\$/i))
    .replace(/\s+/g, ' ')
    .trim();
  const match = /FUNCTION\s+((?:public\.)?"?([a-z0-9_]+)"?\s*\(([^)]*)\))/i.exec(header);
  if (!match || match[2] !== name)
    throw new Error(`sql/${name}.sql: defines ${match?.[2] ?? 'no'} function; the file must be named for it`);
  const triggers = statements
    .filter((statement) => /^CREATE\s+(OR\s+REPLACE\s+)?TRIGGER\b/i.test(statement))
    .map((statement) => {
      const trigger = /TRIGGER\s+("?[a-z0-9_]+"?).*?\bON\s+((?:public\.)?"?[a-z0-9_]+"?)/is.exec(statement);
      if (!trigger) throw new Error(`sql/${name}.sql: cannot read the trigger in: ${statement.slice(0, 80)}`);
      return { name: trigger[1]!, table: trigger[2]! };
    });
  const others = statements.length - 1 - triggers.length;
  if (others > 0)
    throw new Error(`sql/${name}.sql: holds ${others} statements that are neither its function nor its triggers`);
  return { name, sql, signature: `public.${name}(${match[3]!.trim()})`, header, triggers };
}

/**
 * The SQL that takes a database whose functions are `before` to `after`: removed files are dropped
 * (with their triggers), changed or new ones created or replaced, dropped first when the signature or
 * return type changed (which `CREATE OR REPLACE` refuses). Runs after Prisma's own SQL (`drops` before it).
 */
export function sqlSourcesMigration(before: SqlSource[], after: SqlSource[]): { drops: string; creates: string } {
  const old = new Map(before.map((source) => [source.name, source]));
  const current = new Set(after.map((source) => source.name));
  const drops = before
    .filter((source) => !current.has(source.name))
    .map(
      (source) => `-- packages/db/sql/${source.name}.sql was removed.\nDROP FUNCTION ${source.signature} CASCADE;\n`,
    );
  const creates: string[] = [];
  for (const source of after) {
    const previous = old.get(source.name);
    if (previous?.sql === source.sql) continue;
    const statements: string[] = [`-- From packages/db/sql/${source.name}.sql.`];
    if (previous && previous.header !== source.header) statements.push(`DROP FUNCTION ${previous.signature} CASCADE;`);
    else if (previous) {
      const kept = new Set(source.triggers.map((trigger) => `${trigger.name} ON ${trigger.table}`));
      for (const trigger of previous.triggers) {
        if (!kept.has(`${trigger.name} ON ${trigger.table}`))
          statements.push(`DROP TRIGGER ${trigger.name} ON ${trigger.table};`);
      }
    }
    statements.push(source.sql.trimEnd());
    creates.push(`${statements.join('\n')}\n`);
  }
  return { drops: drops.join('\n'), creates: creates.join('\n') };
}

/** Statements of a script without its comments; dollar-quoted bodies and string literals kept whole. */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let index = 0;
  while (index < sql.length) {
    const rest = sql.slice(index);
    const dollar = /^\$[a-zA-Z_]*\$/.exec(rest);
    if (dollar) {
      const end = sql.indexOf(dollar[0], index + dollar[0].length);
      if (end < 0) throw new Error(`unterminated ${dollar[0]} quote`);
      current += sql.slice(index, end + dollar[0].length);
      index = end + dollar[0].length;
    } else if (rest.startsWith('--')) {
      const end = sql.indexOf('\n', index);
      index = end < 0 ? sql.length : end + 1;
    } else if (rest.startsWith("'")) {
      const end = /^'(?:[^']|'')*'/.exec(rest);
      if (!end) throw new Error('unterminated string literal');
      current += end[0];
      index += end[0].length;
    } else if (rest.startsWith(';')) {
      if (current.trim()) statements.push(current.trim());
      current = '';
      index += 1;
    } else {
      current += sql[index];
      index += 1;
    }
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}
