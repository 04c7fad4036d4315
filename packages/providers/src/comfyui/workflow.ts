/**
 * ComfyUI workflow templates: an API-format graph ("Save (API Format)" in ComfyUI) whose input values
 * may be placeholders, filled per image:
 *
 *   "{{prompt}}"  "{{negative_prompt}}"  "{{seed}}"  "{{width}}"  "{{height}}"
 *   "{{steps}}"   "{{cfg}}"  "{{sampler}}"  "{{model}}"
 *
 * A value that is exactly one placeholder is replaced by the typed value (numbers stay numbers); a
 * placeholder inside longer text is replaced as text ("masterpiece, {{prompt}}"). A default may follow
 * a `|`: "{{model|v1-5-pruned-emaonly.safetensors}}", "{{steps|20}}". A text-to-image template must use
 * prompt, seed, width and height, and have a SaveImage node; a template that does not is refused when
 * the worker starts, naming the file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

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
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
/** What a text-to-image template cannot do without. */
export const TXT2IMG_REQUIRED: readonly Placeholder[] = ['prompt', 'seed', 'width', 'height'];
const NUMERIC: readonly Placeholder[] = ['seed', 'width', 'height', 'steps', 'cfg'];

export type ApiWorkflow = Record<string, { class_type: string; inputs: Record<string, unknown>; _meta?: unknown }>;

export interface WorkflowTemplate {
  name: string;
  graph: ApiWorkflow;
  /** Placeholders the graph uses. */
  uses: ReadonlySet<Placeholder>;
}

const PATTERN = /\{\{([a-z_]+)(?:\|([^}]*))?\}\}/g;

/** The built-in text-to-image graph (ComfyUI's own `script_examples` workflow, with placeholders). */
export const BUILTIN_TXT2IMG: ApiWorkflow = {
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: '{{model|v1-5-pruned-emaonly.safetensors}}' } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: '{{prompt}}', clip: ['4', 1] } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: '{{negative_prompt}}', clip: ['4', 1] } },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: '{{width}}', height: '{{height}}', batch_size: 1 } },
  '3': {
    class_type: 'KSampler',
    inputs: {
      seed: '{{seed}}',
      steps: '{{steps|20}}',
      cfg: '{{cfg|7}}',
      sampler_name: '{{sampler|euler}}',
      scheduler: 'normal',
      denoise: 1,
      model: ['4', 0],
      positive: ['6', 0],
      negative: ['7', 0],
      latent_image: ['5', 0],
    },
  },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'darkroom', images: ['8', 0] } },
};

/** Checks a graph as a text-to-image template; throws an Error naming `source` and what is wrong. */
export function makeTemplate(name: string, graph: unknown, source = name): WorkflowTemplate {
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
  const missing = TXT2IMG_REQUIRED.filter((placeholder) => !uses.has(placeholder));
  if (missing.length > 0) throw fail(`a text-to-image template must use ${missing.map((p) => `{{${p}}}`).join(', ')}`);
  if (outputs === 0) throw fail('has no SaveImage node, so it would make no image');
  return { name, graph: graph as ApiWorkflow, uses };
}

/** The built-in `txt2img` template plus every `*.json` in `dir` (named for its file, which may replace it). */
export function loadWorkflowTemplates(dir?: string): Map<string, WorkflowTemplate> {
  const templates = new Map([['txt2img', makeTemplate('txt2img', BUILTIN_TXT2IMG, 'built-in txt2img')]]);
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
    templates.set(name, makeTemplate(name, graph, full));
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
