import { defineConfig } from 'prisma6/config';
import { PrismaPg } from 'prisma6-adapter-pg';
export default defineConfig({
  engine: 'js',
  experimental: { adapter: true },
  schema: '/work/main/prisma/schema.prisma',
  adapter: async () => new PrismaPg({ connectionString: process.env.MIGRATION_DATABASE_URL }),
});
