import { describe, expect, it } from 'vitest';
import { engineOptionsOf, JobRequest, MAX_LORAS } from './job.js';

const base = { prompt: 'a fox', provider: 'comfyui' as const };
const issues = (input: Record<string, unknown>) => {
  const parsed = JobRequest.safeParse({ ...base, ...input });
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('engine options on JobRequest', () => {
  it('takes LoRAs with weights (default 1), steps, guidance and a sampler', () => {
    const parsed = JobRequest.parse({
      ...base,
      loras: [{ name: 'styles/ink-wash.safetensors', weight: -0.5 }, { name: 'detail' }],
      steps: 30,
      guidance: 6.5,
      sampler: 'DPM++ 2M Karras',
    });
    expect(engineOptionsOf(parsed)).toEqual({
      loras: [
        { name: 'styles/ink-wash.safetensors', weight: -0.5 },
        { name: 'detail', weight: 1 },
      ],
      steps: 30,
      guidance: 6.5,
      sampler: 'DPM++ 2M Karras',
    });
    expect(engineOptionsOf(JobRequest.parse(base))).toBeNull();
  });

  it.each([
    [{ steps: 0 }, 'steps: steps must be at least 1'],
    [{ steps: 151 }, 'steps: steps must be at most 150'],
    [{ steps: 2.5 }, 'steps: steps must be a whole number'],
    [{ guidance: -1 }, 'guidance: guidance must be at least 0'],
    [{ guidance: 31 }, 'guidance: guidance must be at most 30'],
    [{ sampler: 'euler; rm -rf' }, 'sampler: sampler may hold letters'],
    [{ loras: [{ name: 'x', weight: 2.5 }] }, 'loras.0.weight: a LoRA weight must be at most 2'],
    [{ loras: [{ name: '../../etc/passwd' }] }, 'loras.0.name: a LoRA name must be relative, without ..'],
    [{ loras: Array.from({ length: MAX_LORAS + 1 }, () => ({ name: 'a' })) }, 'loras: at most 8 LoRAs'],
  ])('refuses %j naming the field and the limit', (input, message) => {
    expect(issues(input)).toEqual([expect.stringContaining(message)]);
  });
});
