#!/usr/bin/env node
// Copies prisma/migrations (at the repository root) into dist/migrations, so an install of this
// package outside the repository (a `pnpm deploy` bundle, a production image) carries the migrations
// it applies. In the repository, src/migrate.ts reads the root folder itself: it is never stale.
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const target = path.join(here, '../dist/migrations');
rmSync(target, { recursive: true, force: true });
cpSync(path.join(here, '../../../prisma/migrations'), target, { recursive: true });
