import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In development the API runs on :3000 (npm start); Vite proxies the API's paths to it.
const api = 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  server: { proxy: { '/trpc': api, '/images': api } },
  build: { outDir: 'dist', sourcemap: true },
});
