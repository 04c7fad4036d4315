/**
 * ComfyUI workflow templates: an API-format graph ("Save (API Format)" in ComfyUI) whose input values
 * may be placeholders, filled per image:
 *
 *   "{{prompt}}"  "{{negative_prompt}}"  "{{seed}}"  "{{width}}"  "{{height}}"
 *   "{{steps}}"   "{{cfg}}"  "{{sampler}}"  "{{model}}"
 *   "{{image}}"     the job's input image, uploaded with /upload/image (a LoadImage `image`)
 *   "{{mask}}"      the input image with the job's mask in its alpha, transparent = regenerate, uploaded
 *                   with /upload/mask (a LoadImageMask `image` with channel `alpha`, or LoadImage output 1)
 *   "{{strength}}"  0 keeps the input image, 1 ignores it (a KSampler `denoise`)
 *
 * A value that is exactly one placeholder is replaced by the typed value (numbers stay numbers); a
 * placeholder inside longer text is replaced as text ("masterpiece, {{prompt}}"). A default may follow
 * a `|`: "{{model|v1-5-pruned-emaonly.safetensors}}", "{{steps|20}}". A job's LoRAs are chained as
 * LoraLoader nodes after the template's CheckpointLoaderSimple (see loras.ts).
 *
 * A template file is either the bare graph (it serves text-to-image) or `{"kinds": [...], "workflow":
 * {graph}}` naming the kinds it serves. Each kind needs its placeholders (KIND_PLACEHOLDERS) and every
 * template a SaveImage node; a template that lacks one is refused when the worker starts, naming the file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { JobKind } from '@darkroom/core';
import { BUILTIN_IMG2IMG, BUILTIN_INPAINT, BUILTIN_TXT2IMG } from './builtin-workflows.js';

export { BUILTIN_IMG2IMG, BUILTIN_INPAINT, BUILTIN_TXT2IMG };

export const PLACEHOLDERS = [
  'prompt',
  'negative_prompt',
  'seed',
  'width',
  'height',
  'steps',
  'cfg',
  'sampler',
  'model',
  'image',
  'mask',
  'strength',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
/** The kinds a ComfyUI template can serve, and what a template serving each cannot do without. */
export const KIND_PLACEHOLDERS = {
  'text-to-image': ['prompt', 'seed', 'width', 'height'],
  'image-to-image': ['prompt', 'seed', 'width', 'height', 'image', 'strength'],
  inpaint: ['prompt', 'seed', 'width', 'height', 'image', 'mask'],
} as const satisfies Partial<Record<JobKind, readonly Placeholder[]>>;
export type TemplateKind = keyof typeof KIND_PLACEHOLDERS;
const TEMPLATE_KINDS = Object.keys(KIND_PLACEHOLDERS) as TemplateKind[];
/** What a text-to-image template cannot do without. */
export const TXT2IMG_REQUIRED: readonly Placeholder[] = KIND_PLACEHOLDERS['text-to-image'];
const NUMERIC: readonly Placeholder[] = ['seed', 'width', 'height', 'steps', 'cfg', 'strength'];

export type ApiWorkflow = Record<string, { class_type: string; inputs: Record<string, unknown>; _meta?: unknown }>;

export interface WorkflowTemplate {
  name: string;
  graph: ApiWorkflow;
  /** Placeholders the graph uses. */
  uses: ReadonlySet<Placeholder>;
  /** The kinds of job it serves. */
  kinds: readonly TemplateKind[];
  /** Whether it is one of Darkroom's own (an operator's template for the same kind is preferred). */
  builtin: boolean;
}

const PATTERN = /\{\{([a-z_]+)(?:\|([^}]*))?\}\}/g;

/** Checks a graph as a template for `kinds`; throws an Error naming `source` and what is wrong. */
export function makeTemplate(
  name: string,
  graph: unknown,
  source = name,
  kinds: readonly TemplateKind[] = ['text-to-image'],
  builtin = false,
): WorkflowTemplate {
  const fail = (why: string) => new Error(`ComfyUI workflow ${source}: ${why}`);
  if (typeof graph !== 'object' || graph === null || Array.isArray(graph))
    throw fail('is not an API-format graph (an object of nodes; use "Save (API Format)")');
  const uses = new Set<Placeholder>();
  let outputs = 0;
  for (const [id, node] of Object.entries(graph as Record<string, unknown>)) {
    const { class_type: type, inputs } = (node ?? {}) as { class_type?: unknown; inputs?: unknown };
    if (typeof type !== 'string' || typeof inputs !== 'object' || inputs === null)
      throw fail(`node ${id} has no class_type and inputs (is this the UI format, not the API format?)`);
    if (type === 'SaveImage') outputs++;
    for (const value of Object.values(inputs)) {
      if (typeof value !== 'string') continue;
      for (const match of value.matchAll(PATTERN)) {
        const placeholder = match[1] as Placeholder;
        if (!PLACEHOLDERS.includes(placeholder))
          throw fail(`node ${id} uses an unknown placeholder {{${match[1]}}} (known: ${PLACEHOLDERS.join(', ')})`);
        uses.add(placeholder);
      }
    }
  }
  for (const kind of kinds) {
    const missing = KIND_PLACEHOLDERS[kind].filter((placeholder) => !uses.has(placeholder));
    if (missing.length > 0)
      throw fail(`a template serving ${kind} must use ${missing.map((p) => `{{${p}}}`).join(', ')}`);
  }
  if (outputs === 0) throw fail('has no SaveImage node, so it would make no image');
  return { name, graph: graph as ApiWorkflow, uses, kinds, builtin };
}

/** A template file's graph and kinds: the bare graph (text-to-image), or `{kinds, workflow}`. */
function parseTemplateFile(json: unknown, fail: (why: string) => Error) {
  if (typeof json !== 'object' || json === null || !('kinds' in json)) return { graph: json, kinds: undefined };
  const { kinds, workflow } = json as { kinds: unknown; workflow?: unknown };
  if (
    !Array.isArray(kinds) ||
    kinds.length === 0 ||
    !kinds.every((kind) => TEMPLATE_KINDS.includes(kind as TemplateKind))
  )
    throw fail(`"kinds" must be a non-empty list of ${TEMPLATE_KINDS.join(', ')} (got ${JSON.stringify(kinds)})`);
  if (workflow === undefined) throw fail('has "kinds" but no "workflow" (the API-format graph)');
  return { graph: workflow, kinds: kinds as TemplateKind[] };
}

/** The built-in templates: `txt2img`, `img2img` and `inpaint`. */
export function builtinTemplates(): Map<string, WorkflowTemplate> {
  const builtin = (name: string, graph: ApiWorkflow, kind: TemplateKind) =>
    [name, makeTemplate(name, graph, `built-in ${name}`, [kind], true)] as const;
  return new Map([
    builtin('txt2img', BUILTIN_TXT2IMG, 'text-to-image'),
    builtin('img2img', BUILTIN_IMG2IMG, 'image-to-image'),
    builtin('inpaint', BUILTIN_INPAINT, 'inpaint'),
  ]);
}

/**
 * The template a job of `kind` runs: text-to-image runs `txt2imgName` (COMFYUI_WORKFLOW); other kinds
 * the first operator template (by name) that serves the kind, else the built-in one. Undefined when
 * none serves it.
 */
export function templateForKind(
  templates: ReadonlyMap<string, WorkflowTemplate>,
  kind: JobKind,
  txt2imgName: string,
): WorkflowTemplate | undefined {
  if (kind === 'text-to-image') return templates.get(txt2imgName);
  const serving = [...templates.values()]
    .filter((template) => template.kinds.includes(kind as TemplateKind))
    .sort((a, b) => Number(a.builtin) - Number(b.builtin) || a.name.localeCompare(b.name));
  return serving[0];
}

/** The built-in templates plus every `*.json` in `dir` (named for its file, which may replace one). */
export function loadWorkflowTemplates(dir?: string): Map<string, WorkflowTemplate> {
  const templates = builtinTemplates();
  if (!dir) return templates;
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    const full = path.join(dir, file);
    let graph: unknown;
    try {
      graph = JSON.parse(readFileSync(full, 'utf8'));
    } catch (error) {
      throw new Error(`ComfyUI workflow ${full}: not JSON (${(error as Error).message})`);
    }
    const name = file.slice(0, -'.json'.length);
    const parsed = parseTemplateFile(graph, (why) => new Error(`ComfyUI workflow ${full}: ${why}`));
    templates.set(name, makeTemplate(name, parsed.graph, full, parsed.kinds));
  }
  return templates;
}

export type PlaceholderValues = Partial<Record<Placeholder, string | number>>;

/**
 * The template's graph with its placeholders filled; a placeholder with neither a value nor a default
 * throws `missing` with its name.
 */
export function fillTemplate(
  template: WorkflowTemplate,
  values: PlaceholderValues,
  missing: (name: Placeholder) => Error,
): ApiWorkflow {
  const valueOf = (name: Placeholder, fallback: string | undefined) => {
    const value = values[name] ?? fallback;
    if (value === undefined) throw missing(name);
    return NUMERIC.includes(name) ? Number(value) : String(value);
  };
  const out: ApiWorkflow = {};
  for (const [id, node] of Object.entries(template.graph)) {
    const inputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node.inputs)) {
      if (typeof value !== 'string') {
        inputs[key] = value;
        continue;
      }
      const whole = /^\{\{([a-z_]+)(?:\|([^}]*))?\}\}$/.exec(value);
      inputs[key] = whole
        ? valueOf(whole[1] as Placeholder, whole[2])
        : value.replace(PATTERN, (_, name: Placeholder, fallback?: string) => String(valueOf(name, fallback)));
    }
    out[id] = { ...node, inputs };
  }
  return out;
}
