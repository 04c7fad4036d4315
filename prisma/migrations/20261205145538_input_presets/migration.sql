-- Presets that take input images (issue 16 point 6): product-on-model, flatlay, background-swap join
-- core's PRESETS, so jobs.preset's CHECK allows them (packages/db/src/vocabulary.ts). Hand-written:
-- Prisma's schema language has no CHECK. Widening the list cannot fail on existing rows.

ALTER TABLE "jobs" DROP CONSTRAINT IF EXISTS "jobs_preset_check",
  ADD CONSTRAINT "jobs_preset_check" CHECK ("preset" IN ('coloring-page', 'cover', 'illustration', 'character-reference', 'background', 'photo', 'product-on-model', 'flatlay', 'background-swap'));
