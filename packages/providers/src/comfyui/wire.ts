/**
 * ComfyUI server wire types (`server.py`, `execution.py`, `main.py`): only the fields Darkroom reads.
 */
import { z } from 'zod';

/** 200 from POST /prompt. */
export const ComfyPromptAccepted = z.object({ prompt_id: z.string().min(1), number: z.number().optional() });

/** 400 from POST /prompt: the top-level error and, per node, its input errors. */
export const ComfyPromptRefused = z.object({
  error: z.union([z.string(), z.object({ type: z.string(), message: z.string(), details: z.string().optional() })]),
  node_errors: z
    .record(
      z.string(),
      z.object({
        class_type: z.string().optional(),
        errors: z.array(z.object({ type: z.string(), message: z.string(), details: z.string().optional() })),
      }),
    )
    .optional(),
});

/** A text frame on /ws: `{type, data}`; execution events carry the prompt id. */
export const ComfyEvent = z.object({
  type: z.string(),
  data: z
    .object({
      prompt_id: z.string().optional(),
      node: z.string().nullish(),
      value: z.number().optional(),
      max: z.number().optional(),
      node_id: z.string().optional(),
      node_type: z.string().optional(),
      exception_message: z.string().optional(),
      exception_type: z.string().optional(),
    })
    .passthrough(),
});

const ComfyImageRef = z.object({
  filename: z.string(),
  subfolder: z.string().default(''),
  type: z.string().default('output'),
});

/** One entry of GET /history/{id} (`{}` until the prompt is done). */
export const ComfyHistoryEntry = z.object({
  outputs: z.record(z.string(), z.object({ images: z.array(ComfyImageRef).optional() }).passthrough()),
  status: z
    .object({
      status_str: z.string(),
      completed: z.boolean(),
      messages: z.array(z.tuple([z.string(), z.record(z.string(), z.unknown())])).default([]),
    })
    .optional(),
});
export type ComfyHistoryEntry = z.infer<typeof ComfyHistoryEntry>;
export const ComfyHistory = z.record(z.string(), ComfyHistoryEntry);

/** GET /queue items are `[number, prompt_id, prompt, extra_data, outputs_to_execute]`. */
export const ComfyQueue = z.object({
  queue_running: z.array(z.array(z.unknown())),
  queue_pending: z.array(z.array(z.unknown())),
});
