/**
 * The fake ComfyUI's node catalog and prompt validation, after `execution.py validate_prompt` and
 * `validate_inputs`: the top-level error types (`invalid_prompt`, `prompt_no_outputs`,
 * `prompt_outputs_failed_validation`) and the per-input ones, in the `node_errors` shape the server sends.
 */
type Input =
  | { type: 'INT' | 'FLOAT'; min: number; max: number }
  | { type: 'STRING' }
  | { type: 'COMBO'; options: string[] }
  | { type: 'LINK'; of: string }
  /** A file in the input directory (LoadImage's VALIDATE_INPUTS: `Invalid image file`). */
  | { type: 'INPUT_FILE' };

interface NodeClass {
  inputs: Record<string, Input>;
  outputs: string[];
  output_node?: boolean;
}

export const FAKE_COMFY_CHECKPOINTS = ['v1-5-pruned-emaonly.safetensors', 'sdxl/sd_xl_base_1.0.safetensors'];
export const FAKE_COMFY_LORAS = ['detail-tweaker.safetensors', 'styles/ink-wash.safetensors'];
export const FAKE_COMFY_SAMPLERS = ['euler', 'euler_ancestral', 'heun', 'dpmpp_2m', 'dpmpp_2m_sde', 'ddim', 'uni_pc'];
const SCHEDULERS = ['simple', 'sgm_uniform', 'karras', 'exponential', 'ddim_uniform', 'beta', 'normal'];

export const NODE_CLASSES: Record<string, NodeClass> = {
  CheckpointLoaderSimple: {
    inputs: { ckpt_name: { type: 'COMBO', options: FAKE_COMFY_CHECKPOINTS } },
    outputs: ['MODEL', 'CLIP', 'VAE'],
  },
  CLIPTextEncode: {
    inputs: { text: { type: 'STRING' }, clip: { type: 'LINK', of: 'CLIP' } },
    outputs: ['CONDITIONING'],
  },
  EmptyLatentImage: {
    inputs: {
      width: { type: 'INT', min: 16, max: 16384 },
      height: { type: 'INT', min: 16, max: 16384 },
      batch_size: { type: 'INT', min: 1, max: 4096 },
    },
    outputs: ['LATENT'],
  },
  KSampler: {
    inputs: {
      model: { type: 'LINK', of: 'MODEL' },
      seed: { type: 'INT', min: 0, max: 2 ** 64 - 1 },
      steps: { type: 'INT', min: 1, max: 10000 },
      cfg: { type: 'FLOAT', min: 0, max: 100 },
      sampler_name: { type: 'COMBO', options: FAKE_COMFY_SAMPLERS },
      scheduler: { type: 'COMBO', options: SCHEDULERS },
      positive: { type: 'LINK', of: 'CONDITIONING' },
      negative: { type: 'LINK', of: 'CONDITIONING' },
      latent_image: { type: 'LINK', of: 'LATENT' },
      denoise: { type: 'FLOAT', min: 0, max: 1 },
    },
    outputs: ['LATENT'],
  },
  VAEDecode: {
    inputs: { samples: { type: 'LINK', of: 'LATENT' }, vae: { type: 'LINK', of: 'VAE' } },
    outputs: ['IMAGE'],
  },
  LoadImage: { inputs: { image: { type: 'INPUT_FILE' } }, outputs: ['IMAGE', 'MASK'] },
  LoadImageMask: {
    inputs: { image: { type: 'INPUT_FILE' }, channel: { type: 'COMBO', options: ['alpha', 'red', 'green', 'blue'] } },
    outputs: ['MASK'],
  },
  ImageScale: {
    inputs: {
      image: { type: 'LINK', of: 'IMAGE' },
      upscale_method: { type: 'COMBO', options: ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'] },
      width: { type: 'INT', min: 0, max: 16384 },
      height: { type: 'INT', min: 0, max: 16384 },
      crop: { type: 'COMBO', options: ['disabled', 'center'] },
    },
    outputs: ['IMAGE'],
  },
  VAEEncode: {
    inputs: { pixels: { type: 'LINK', of: 'IMAGE' }, vae: { type: 'LINK', of: 'VAE' } },
    outputs: ['LATENT'],
  },
  VAEEncodeForInpaint: {
    inputs: {
      pixels: { type: 'LINK', of: 'IMAGE' },
      vae: { type: 'LINK', of: 'VAE' },
      mask: { type: 'LINK', of: 'MASK' },
      grow_mask_by: { type: 'INT', min: 0, max: 64 },
    },
    outputs: ['LATENT'],
  },
  SetLatentNoiseMask: {
    inputs: { samples: { type: 'LINK', of: 'LATENT' }, mask: { type: 'LINK', of: 'MASK' } },
    outputs: ['LATENT'],
  },
  LoraLoader: {
    inputs: {
      model: { type: 'LINK', of: 'MODEL' },
      clip: { type: 'LINK', of: 'CLIP' },
      lora_name: { type: 'COMBO', options: FAKE_COMFY_LORAS },
      strength_model: { type: 'FLOAT', min: -100, max: 100 },
      strength_clip: { type: 'FLOAT', min: -100, max: 100 },
    },
    outputs: ['MODEL', 'CLIP'],
  },
  SaveImage: {
    inputs: { images: { type: 'LINK', of: 'IMAGE' }, filename_prefix: { type: 'STRING' } },
    outputs: [],
    output_node: true,
  },
};

export type ApiGraph = Record<string, { class_type?: string; inputs?: Record<string, unknown> }>;

interface InputError {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export type Validation =
  | { ok: true; outputs: string[] }
  | { ok: false; status: 400; body: { error: InputError; node_errors: Record<string, unknown> } };

const topError = (type: string, message: string, details: string): Validation => ({
  ok: false,
  status: 400,
  body: { error: { type, message, details, extra_info: {} }, node_errors: {} },
});

/** Whether `name` (`subfolder/file`) is in the input directory. */
export type InputFileCheck = (name: string) => boolean;

function inputErrors(
  graph: ApiGraph,
  nodeClass: NodeClass,
  inputs: Record<string, unknown>,
  inputFile: InputFileCheck,
): InputError[] {
  const errors: InputError[] = [];
  for (const [name, spec] of Object.entries(nodeClass.inputs)) {
    const value = inputs[name];
    const extra = { input_name: name, input_config: null, received_value: value };
    const error = (type: string, message: string, details: string) =>
      errors.push({ type, message, details, extra_info: extra });
    if (value === undefined) {
      error('required_input_missing', 'Required input is missing', name);
      continue;
    }
    if (Array.isArray(value)) {
      const [from, index] = value as [unknown, unknown];
      const source = typeof from === 'string' ? graph[from] : undefined;
      const produced = source?.class_type ? NODE_CLASSES[source.class_type]?.outputs[Number(index)] : undefined;
      if (value.length !== 2 || !source)
        error(
          'bad_linked_input',
          'Bad linked input, must be a length-2 list of [string, int]',
          `${name}, ${JSON.stringify(value)}`,
        );
      else if (spec.type !== 'LINK' || produced !== spec.of)
        error(
          'return_type_mismatch',
          'Return type mismatch between linked nodes',
          `${name}, received_type(${produced}) mismatch input_type(${spec.type === 'LINK' ? spec.of : spec.type})`,
        );
      continue;
    }
    if (spec.type === 'LINK') {
      error(
        'bad_linked_input',
        'Bad linked input, must be a length-2 list of [string, int]',
        `${name}, ${JSON.stringify(value)}`,
      );
    } else if (spec.type === 'INT' || spec.type === 'FLOAT') {
      const number = Number(value);
      if (typeof value === 'boolean' || !Number.isFinite(number) || (spec.type === 'INT' && !Number.isInteger(number)))
        error(
          'invalid_input_type',
          `Failed to convert an input value to a ${spec.type} value`,
          `${name}, ${String(value)}`,
        );
      else if (number < spec.min)
        error('value_smaller_than_min', `Value ${number} smaller than min of ${spec.min}`, `${name}`);
      else if (number > spec.max)
        error('value_bigger_than_max', `Value ${number} bigger than max of ${spec.max}`, `${name}`);
    } else if (spec.type === 'STRING') {
      if (typeof value !== 'string')
        error('invalid_input_type', 'Failed to convert an input value to a STRING value', `${name}, ${String(value)}`);
    } else if (spec.type === 'INPUT_FILE') {
      if (typeof value !== 'string' || !inputFile(value))
        error(
          'custom_validation_failed',
          'Custom validation failed for node',
          `${name} - Invalid image file: ${String(value)}`,
        );
    } else if (spec.type === 'COMBO' && !spec.options.includes(String(value))) {
      const list = spec.options.length > 20 ? `(list of length ${spec.options.length})` : JSON.stringify(spec.options);
      error('value_not_in_list', 'Value not in list', `${name}: '${String(value)}' not in ${list}`);
    }
  }
  return errors;
}

/** What POST /prompt answers for `graph`: the output nodes to run, or the 400 body. */
export function validatePrompt(graph: unknown, inputFile: InputFileCheck = () => false): Validation {
  if (typeof graph !== 'object' || graph === null || Array.isArray(graph))
    return topError('invalid_prompt', 'Cannot execute because the prompt is not an object.', '');
  const nodes = graph as ApiGraph;
  for (const [id, node] of Object.entries(nodes)) {
    if (!node || typeof node !== 'object' || !node.class_type)
      return topError(
        'invalid_prompt',
        'Cannot execute because a node is missing the class_type property.',
        `Node ID '#${id}'`,
      );
    if (!NODE_CLASSES[node.class_type])
      return topError(
        'invalid_prompt',
        `Cannot execute because node ${node.class_type} does not exist.`,
        `Node ID '#${id}'`,
      );
  }
  const outputs = Object.keys(nodes).filter((id) => NODE_CLASSES[nodes[id]!.class_type!]!.output_node);
  if (outputs.length === 0) return topError('prompt_no_outputs', 'Prompt has no outputs', '');
  const nodeErrors: Record<string, unknown> = {};
  for (const [id, node] of Object.entries(nodes)) {
    const errors = inputErrors(nodes, NODE_CLASSES[node.class_type!]!, node.inputs ?? {}, inputFile);
    if (errors.length > 0) nodeErrors[id] = { errors, dependent_outputs: outputs, class_type: node.class_type };
  }
  if (Object.keys(nodeErrors).length === 0) return { ok: true, outputs };
  const first = Object.values(nodeErrors)[0] as { errors: InputError[] };
  return {
    ok: false,
    status: 400,
    body: {
      error: {
        type: 'prompt_outputs_failed_validation',
        message: 'Prompt outputs failed validation',
        details: first.errors.map((e) => `${e.message}: ${e.details}`).join('\n'),
        extra_info: {},
      },
      node_errors: nodeErrors,
    },
  };
}

/**
 * `GET /object_info/{class}`: `{Class: {input: {required}, output, ...}}` with V1 combos as
 * `[[options], {tooltip}]`, or `{}` for a class the server lacks.
 */
export function objectInfoOf(name: string): Record<string, unknown> {
  const nodeClass = NODE_CLASSES[name];
  if (!nodeClass) return {};
  const required = Object.fromEntries(
    Object.entries(nodeClass.inputs).map(([input, spec]) => {
      if (spec.type === 'COMBO') return [input, [spec.options, { tooltip: input }]];
      if (spec.type === 'LINK') return [input, [spec.of, {}]];
      if (spec.type === 'INPUT_FILE') return [input, [[], { image_upload: true }]];
      if (spec.type === 'STRING') return [input, ['STRING', {}]];
      return [input, [spec.type, { min: spec.min, max: spec.max }]];
    }),
  );
  return {
    [name]: {
      input: { required },
      output: nodeClass.outputs,
      output_node: nodeClass.output_node ?? false,
      name,
      display_name: name,
      category: 'fake',
    },
  };
}
