-- The database refuses what core refuses: every column holding a preset, provider, aspect ratio,
-- quality or output format allows exactly core's list (packages/db/src/vocabulary.ts maps each column
-- to its list; vocabulary.test.ts fails when they part). Hand-written: Prisma's schema language has no
-- CHECK, and enums cannot hold names like `1:1` or `coloring-page`. Existing rows are validated as the
-- constraint is added: every writer took these values from core's lists, so a row outside them is a
-- bug to look at, and the migration stops naming the constraint rather than guess a value.

ALTER TABLE "jobs" DROP CONSTRAINT IF EXISTS "jobs_preset_check",
  ADD CONSTRAINT "jobs_preset_check" CHECK ("preset" IN ('coloring-page', 'cover', 'illustration', 'character-reference', 'background', 'photo'));
ALTER TABLE "jobs" DROP CONSTRAINT IF EXISTS "jobs_provider_check",
  ADD CONSTRAINT "jobs_provider_check" CHECK ("provider" IN ('local', 'mock', 'openai', 'stability', 'replicate', 'fal'));
ALTER TABLE "jobs" DROP CONSTRAINT IF EXISTS "jobs_aspect_ratio_check",
  ADD CONSTRAINT "jobs_aspect_ratio_check" CHECK ("aspect_ratio" IN ('1:1', '4:3', '3:4', '3:2', '2:3', '16:9', '9:16'));
ALTER TABLE "jobs" DROP CONSTRAINT IF EXISTS "jobs_quality_check",
  ADD CONSTRAINT "jobs_quality_check" CHECK ("quality" IN ('low', 'medium', 'high'));
ALTER TABLE "jobs" DROP CONSTRAINT IF EXISTS "jobs_output_format_check",
  ADD CONSTRAINT "jobs_output_format_check" CHECK ("output_format" IN ('png', 'jpeg', 'webp'));
ALTER TABLE "images" DROP CONSTRAINT IF EXISTS "images_provider_check",
  ADD CONSTRAINT "images_provider_check" CHECK ("provider" IN ('local', 'mock', 'openai', 'stability', 'replicate', 'fal'));
