import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_IMG2IMG,
  BUILTIN_TXT2IMG,
  fillTemplate,
  loadWorkflowTemplates,
  makeTemplate,
  templateForKind,
} from './workflow.js';

const dirWith = (files: Record<string, string>) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'comfy-templates-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
};
const missing = (name: string) => new Error(`missing ${name}`);

describe('comfyui workflow templates', () => {
  it('fills whole placeholders with typed values, text placeholders as text, and defaults', () => {
    const graph = structuredClone(BUILTIN_TXT2IMG);
    graph['6']!.inputs.text = 'masterpiece, {{prompt}}';
    const filled = fillTemplate(
      makeTemplate('t', graph),
      { prompt: 'a cat', negative_prompt: '', seed: 3, width: 64, height: 32 },
      missing,
    );

    expect(filled['6']!.inputs.text).toBe('masterpiece, a cat');
    expect(filled['5']!.inputs).toEqual({ width: 64, height: 32, batch_size: 1 });
    expect(filled['3']!.inputs).toMatchObject({ seed: 3, steps: 20, cfg: 7, sampler_name: 'euler' });
    expect(filled['4']!.inputs.ckpt_name).toBe('v1-5-pruned-emaonly.safetensors');
    expect(filled['3']!.inputs.model).toEqual(['4', 0]);
  });

  it('throws for a placeholder with neither value nor default', () => {
    const graph = structuredClone(BUILTIN_TXT2IMG);
    graph['4']!.inputs.ckpt_name = '{{model}}';
    expect(() =>
      fillTemplate(makeTemplate('t', graph), { prompt: 'a', seed: 1, width: 8, height: 8 }, missing),
    ).toThrow('missing model');
  });

  it('loads operator templates from a directory, named for their files', () => {
    const templates = loadWorkflowTemplates(
      dirWith({ 'portrait.json': JSON.stringify(BUILTIN_TXT2IMG), 'notes.txt': 'x' }),
    );
    expect([...templates.keys()].sort()).toEqual(['img2img', 'inpaint', 'portrait', 'txt2img']);
  });

  it('picks the operator template that names a kind over the built-in one, and the built-in otherwise', () => {
    const templates = loadWorkflowTemplates(
      dirWith({ 'restyle.json': JSON.stringify({ kinds: ['image-to-image'], workflow: BUILTIN_IMG2IMG }) }),
    );
    expect(templates.get('restyle')!.kinds).toEqual(['image-to-image']);
    expect(templateForKind(templates, 'image-to-image', 'txt2img')!.name).toBe('restyle');
    expect(templateForKind(templates, 'inpaint', 'txt2img')!.name).toBe('inpaint');
    expect(templateForKind(templates, 'upscale', 'txt2img')).toBeUndefined();
  });

  it.each([
    ['not JSON', '{', 'not JSON'],
    ['the UI format', JSON.stringify({ nodes: [], links: [] }), 'has no class_type and inputs'],
    ['no {{seed}}', JSON.stringify(BUILTIN_TXT2IMG).replace('"{{seed}}"', '5'), 'text-to-image must use {{seed}}'],
    [
      'an unknown placeholder',
      JSON.stringify(BUILTIN_TXT2IMG).replace('{{cfg|7}}', '{{guidance}}'),
      'unknown placeholder {{guidance}}',
    ],
    ['no SaveImage', JSON.stringify(BUILTIN_TXT2IMG).replace('"SaveImage"', '"PreviewImage"'), 'has no SaveImage node'],
    [
      'an image-to-image kind but no {{image}}',
      JSON.stringify({ kinds: ['image-to-image'], workflow: BUILTIN_TXT2IMG }),
      'a template serving image-to-image must use {{image}}, {{strength}}',
    ],
    [
      'an inpaint kind but no {{mask}}',
      JSON.stringify({ kinds: ['inpaint'], workflow: BUILTIN_IMG2IMG }),
      'a template serving inpaint must use {{mask}}',
    ],
    [
      'a kind ComfyUI cannot serve',
      JSON.stringify({ kinds: ['upscale'], workflow: BUILTIN_IMG2IMG }),
      '"kinds" must be',
    ],
    ['kinds but no workflow', JSON.stringify({ kinds: ['inpaint'] }), 'has "kinds" but no "workflow"'],
  ])('refuses a template with %s, naming the file', (_, text, why) => {
    const dir = dirWith({ 'bad.json': text });
    expect(() => loadWorkflowTemplates(dir)).toThrow(path.join(dir, 'bad.json'));
    expect(() => loadWorkflowTemplates(dir)).toThrow(why);
  });
});
