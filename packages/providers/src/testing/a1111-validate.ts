/**
 * The fake A1111's body validation, pydantic v1 as FastAPI runs it for txt2img and img2img: each field's
 * type with its coercions (every field is Optional, so null passes), errors in FastAPI's 422 shape.
 */
const TXT2IMG_FIELDS: Record<string, FieldType> = {
  prompt: 'str',
  negative_prompt: 'str',
  sampler_name: 'str',
  scheduler: 'str',
  force_task_id: 'str',
  seed: 'int',
  steps: 'int',
  width: 'int',
  height: 'int',
  batch_size: 'int',
  n_iter: 'int',
  cfg_scale: 'float',
  send_images: 'bool',
  save_images: 'bool',
  override_settings_restore_afterwards: 'bool',
  override_settings: 'dict',
};

const PYDANTIC_ERRORS = {
  list: ['value is not a valid list', 'type_error.list'],
  str: ['str type expected', 'type_error.str'],
  int: ['value is not a valid integer', 'type_error.integer'],
  float: ['value is not a valid float', 'type_error.float'],
  bool: ['value could not be parsed to a boolean', 'type_error.bool'],
  dict: ['value is not a valid dict', 'type_error.dict'],
} as const;

type FieldType = 'str' | 'int' | 'float' | 'bool' | 'dict' | 'list';

/** pydantic v1's coercions for the types used here; null is allowed (every field is Optional). */
function valid(type: keyof typeof PYDANTIC_ERRORS, value: unknown): boolean {
  if (value === null) return true;
  switch (type) {
    case 'str':
      return typeof value === 'string' || typeof value === 'number';
    case 'int':
      return (
        (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && /^-?\d+$/.test(value))
      );
    case 'float':
      return (
        (typeof value === 'number' && Number.isFinite(value)) ||
        (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
      );
    case 'bool':
      return typeof value === 'boolean' || value === 0 || value === 1;
    case 'dict':
      return typeof value === 'object' && !Array.isArray(value);
    case 'list':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
  }
}

/** img2img's own fields (StableDiffusionImg2ImgProcessingAPI) on top of txt2img's. */
const IMG2IMG_FIELDS: Record<string, FieldType> = {
  ...TXT2IMG_FIELDS,
  init_images: 'list',
  mask: 'str',
  resize_mode: 'int',
  denoising_strength: 'float',
  inpainting_fill: 'int',
  inpaint_full_res: 'bool',
  inpaint_full_res_padding: 'int',
  inpainting_mask_invert: 'int',
  mask_blur: 'int',
  include_init_images: 'bool',
};

export interface PydanticIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** FastAPI's 422 `detail` for `body` on `endpoint`, empty when it passes. */
export function bodyIssues(endpoint: 'txt2img' | 'img2img', body: Record<string, unknown>): PydanticIssue[] {
  const fields = endpoint === 'img2img' ? IMG2IMG_FIELDS : TXT2IMG_FIELDS;
  return Object.entries(fields)
    .filter(([field, type]) => field in body && !valid(type, body[field]))
    .map(([field, type]) => ({ loc: ['body', field], msg: PYDANTIC_ERRORS[type][0], type: PYDANTIC_ERRORS[type][1] }));
}
