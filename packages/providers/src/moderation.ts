/**
 * A request's moderation level (core's MODERATION_LEVELS) in each vendor's own words. Vendors differ in
 * what they can do, so a level is the nearest setting each has:
 *
 * | level    | OpenAI gpt-image | FLUX pro models (`safety_tolerance`, 1 strictest .. 6) | other models' safety checker |
 * | -------- | ---------------- | ------------------------------------------------------ | ---------------------------- |
 * | strict   | `auto`           | 1                                                      | on                           |
 * | standard | `auto` (default) | 2 (the vendors' default)                               | on                           |
 * | relaxed  | `low`            | 5                                                      | off                          |
 *
 * OpenAI has nothing stricter than `auto`; DALL-E models, Stability's v2beta API and `local` have no
 * setting at all (Stability always moderates), so they send nothing.
 */
import type { ModerationLevel } from '@darkroom/core';

/** OpenAI's `moderation` (gpt-image models only). */
export function openaiModeration(level: ModerationLevel): 'auto' | 'low' {
  return level === 'relaxed' ? 'low' : 'auto';
}

/** Black Forest Labs' `safety_tolerance` on its pro models: 1 strictest, 6 most permissive, 2 default. */
export function fluxSafetyTolerance(level: ModerationLevel): number {
  return { strict: 1, standard: 2, relaxed: 5 }[level];
}

/**
 * FLUX models with `safety_tolerance` rather than a safety checker: the pro family (flux-pro,
 * flux-1.1-pro, -ultra, flux-kontext-pro/max, flux-fill-pro, ...) on Replicate (`owner/name[:version]`,
 * `deployment:owner/name`) and on fal (`fal-ai/flux-pro/...`).
 */
export function takesSafetyTolerance(model: string): boolean {
  return /flux[\w.-]*-pro|kontext/.test(model.toLowerCase());
}

/** Replicate's model input for a level: `safety_tolerance` (FLUX pro) or `disable_safety_checker`. */
export function replicateModerationInput(model: string, level: ModerationLevel): Record<string, unknown> {
  return takesSafetyTolerance(model)
    ? { safety_tolerance: fluxSafetyTolerance(level) }
    : { disable_safety_checker: level === 'relaxed' };
}

/**
 * fal's model input for a level: `enable_safety_checker` on every FLUX endpoint, plus `safety_tolerance`
 * (a string, "1".."6", in fal's schemas) on the pro ones.
 */
export function falModerationInput(model: string, level: ModerationLevel): Record<string, unknown> {
  return {
    enable_safety_checker: level !== 'relaxed',
    ...(takesSafetyTolerance(model) ? { safety_tolerance: String(fluxSafetyTolerance(level)) } : {}),
  };
}
