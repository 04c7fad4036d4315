/**
 * A job's LoRAs in a ComfyUI graph: a chain of LoraLoader nodes (`nodes.py`: model, clip, lora_name,
 * strength_model, strength_clip -> MODEL 0, CLIP 1) after the template's one CheckpointLoaderSimple,
 * every node that read the checkpoint's MODEL or CLIP rewired to the chain's end. The weight applies to
 * both the model and the text encoder, as A1111's `<lora:name:weight>` does.
 */
import type { ApiWorkflow } from './workflow.js';

export function withLoras(
  graph: ApiWorkflow,
  loras: readonly { name: string; weight: number }[],
  fail: (why: string) => Error,
): ApiWorkflow {
  if (loras.length === 0) return graph;
  const loaders = Object.entries(graph).filter(([, node]) => node.class_type === 'CheckpointLoaderSimple');
  if (loaders.length !== 1)
    throw fail(
      `has ${loaders.length} CheckpointLoaderSimple nodes; LoRAs are chained after exactly one, so it cannot take loras`,
    );
  const checkpoint = loaders[0]![0];
  const out: ApiWorkflow = structuredClone(graph);
  let model: [string, number] = [checkpoint, 0];
  let clip: [string, number] = [checkpoint, 1];
  loras.forEach((lora, index) => {
    const id = `darkroom_lora_${index + 1}`;
    out[id] = {
      class_type: 'LoraLoader',
      inputs: { model, clip, lora_name: lora.name, strength_model: lora.weight, strength_clip: lora.weight },
    };
    model = [id, 0];
    clip = [id, 1];
  });
  for (const [id, node] of Object.entries(out)) {
    if (id.startsWith('darkroom_lora_')) continue;
    for (const [key, value] of Object.entries(node.inputs)) {
      if (!Array.isArray(value) || value[0] !== checkpoint) continue;
      if (value[1] === 0) node.inputs[key] = model;
      if (value[1] === 1) node.inputs[key] = clip;
    }
  }
  return out;
}
