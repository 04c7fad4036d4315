import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { compression } from 'vite-plugin-compression2';

// In development the API runs on :3000 (npm start); Vite proxies the API's paths to it.
const api = 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [
    react(),
    // Brotli and gzip copies of every script, stylesheet and the page, made once at build: the API
    // serves them (@fastify/static's preCompressed) without compressing on each request.
    compression({ algorithms: ['brotliCompress', 'gzip'], threshold: 1024, logLevel: 'silent' }),
  ],
  server: { proxy: { '/trpc': api, '/images': api } },
  build: { outDir: 'dist', sourcemap: true },
});
