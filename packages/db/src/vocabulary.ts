/**
 * Core's closed vocabularies, as the database holds them: every column that stores a preset, provider,
 * aspect ratio, quality or output format has a CHECK named `<table>_<column>_check` allowing exactly
 * core's list, and each Postgres enum has exactly the labels of its core list. Prisma models neither
 * the CHECKs nor (for names like `1:1` or `coloring-page`) usable enums, so the columns stay `String`
 * in schema.prisma and the database refuses what core would refuse. `vocabulary.test.ts` fails, naming
 * the value and the migration to write, when core's lists and the database part.
 */
import {
  ASPECT_RATIOS,
  CREDIT_ENTRY_KINDS,
  IMAGE_STATUSES,
  JOB_STATUSES,
  MODERATION_LEVELS,
  OUTPUT_FORMATS,
  PRESETS,
  PRIORITIES,
  PROVIDER_NAMES,
  QUALITIES,
  Role,
  STAGES,
} from '@darkroom/core';

export interface ColumnVocabulary {
  table: string;
  column: string;
  /** Where the list lives in @darkroom/core, for messages. */
  source: string;
  values: readonly string[];
}

/** Every column holding one of core's closed vocabularies as text. */
export const COLUMN_VOCABULARIES: readonly ColumnVocabulary[] = [
  { table: 'jobs', column: 'preset', source: 'PRESETS', values: PRESETS },
  { table: 'jobs', column: 'provider', source: 'PROVIDER_NAMES', values: PROVIDER_NAMES },
  { table: 'jobs', column: 'aspect_ratio', source: 'ASPECT_RATIOS', values: ASPECT_RATIOS },
  { table: 'jobs', column: 'quality', source: 'QUALITIES', values: QUALITIES },
  { table: 'jobs', column: 'output_format', source: 'OUTPUT_FORMATS', values: OUTPUT_FORMATS },
  { table: 'jobs', column: 'moderation', source: 'MODERATION_LEVELS', values: MODERATION_LEVELS },
  // The provider that made an image when it is not the job's own (a fallback).
  { table: 'images', column: 'provider', source: 'PROVIDER_NAMES', values: PROVIDER_NAMES },
];

/** Each Postgres enum (from schema.prisma) and the core list it must equal, in order. */
export const ENUM_VOCABULARIES: readonly { type: string; source: string; values: readonly string[] }[] = [
  { type: 'JobStatus', source: 'JOB_STATUSES', values: JOB_STATUSES },
  { type: 'JobStage', source: 'STAGES', values: STAGES },
  { type: 'ImageStatus', source: 'IMAGE_STATUSES', values: IMAGE_STATUSES },
  { type: 'Priority', source: 'PRIORITIES', values: PRIORITIES },
  { type: 'CreditEntryKind', source: 'CREDIT_ENTRY_KINDS', values: CREDIT_ENTRY_KINDS },
  { type: 'Role', source: 'Role', values: Role.options },
];

/** The constraint's name: Postgres's own default for a column CHECK. */
export function vocabularyConstraintName({ table, column }: Pick<ColumnVocabulary, 'table' | 'column'>): string {
  return `${table}_${column}_check`;
}

/** The statement that makes the column's CHECK allow exactly `values` (what a migration should hold). */
export function vocabularyCheckSql(vocabulary: Omit<ColumnVocabulary, 'source'>): string {
  const name = vocabularyConstraintName(vocabulary);
  const list = vocabulary.values.map((value) => `'${value.replaceAll("'", "''")}'`).join(', ');
  return (
    `ALTER TABLE "${vocabulary.table}" DROP CONSTRAINT IF EXISTS "${name}",\n` +
    `  ADD CONSTRAINT "${name}" CHECK ("${vocabulary.column}" IN (${list}));`
  );
}

/** The string literals of a CHECK's definition as `pg_get_constraintdef` prints it (`'a'::text`). */
export function checkLiterals(definition: string): string[] {
  return [...definition.matchAll(/'((?:[^']|'')*)'::text/g)].map((match) => match[1]!.replaceAll("''", "'"));
}

interface Queryable {
  query<Row extends Record<string, unknown>>(sql: string): Promise<{ rows: Row[] }>;
}

/**
 * Where the database and core's lists part, one line per value, each saying what to do. Empty when
 * every listed column's CHECK and every enum allow exactly core's values.
 */
export async function vocabularyProblems(
  db: Queryable,
  columns: readonly ColumnVocabulary[] = COLUMN_VOCABULARIES,
  enums: readonly { type: string; source: string; values: readonly string[] }[] = ENUM_VOCABULARIES,
): Promise<string[]> {
  const { rows: checks } = await db.query<{ name: string; definition: string }>(`
    select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint
    where connamespace = 'public'::regnamespace and contype = 'c'`);
  const { rows: labels } = await db.query<{ type: string; labels: string[] }>(`
    select t.typname as type, array_agg(e.enumlabel order by e.enumsortorder)::text[] as labels
    from pg_type t join pg_enum e on e.enumtypid = t.oid
    where t.typnamespace = 'public'::regnamespace group by t.typname`);
  const problems: string[] = [];
  for (const vocabulary of columns) {
    const where = `${vocabulary.table}.${vocabulary.column}`;
    const fix = `write a migration (\`pnpm db:migration <name> --empty\`) holding:\n${vocabularyCheckSql(vocabulary)}`;
    const check = checks.find((row) => row.name === vocabularyConstraintName(vocabulary));
    if (!check) {
      problems.push(`${where}: no CHECK ${vocabularyConstraintName(vocabulary)}; ${fix}`);
      continue;
    }
    const allowed = checkLiterals(check.definition);
    for (const value of vocabulary.values.filter((v) => !allowed.includes(v)))
      problems.push(`${where}: core's ${vocabulary.source} has '${value}', which the database refuses; ${fix}`);
    for (const value of allowed.filter((v) => !vocabulary.values.includes(v)))
      problems.push(`${where}: the database allows '${value}', which core's ${vocabulary.source} lacks; ${fix}`);
  }
  for (const expected of enums) {
    const actual = labels.find((row) => row.type === expected.type)?.labels ?? [];
    if (actual.join(',') !== expected.values.join(','))
      problems.push(
        `enum "${expected.type}" is (${actual.join(', ')}) but core's ${expected.source} is (${expected.values.join(', ')}); ` +
          `change the enum in prisma/schema.prisma and run \`pnpm db:migration <name>\``,
      );
  }
  return problems;
}
