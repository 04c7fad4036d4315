import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { compression } from 'vite-plugin-compression2';

// In development the API runs on :3000 (npm start); Vite proxies the API's paths to it.
const api = 'http://127.0.0.1:3000';

/**
 * The entry's stylesheet goes into index.html as a <style> (18 kB, 5 kB brotli with the page), so the
 * first paint waits for no second request (Lighthouse's render-blocking audit); the CSP allows inline
 * styles. Its <link> stays, `disabled`, which the browser neither fetches nor applies: Vite's lazy-chunk
 * loader lists the entry's stylesheet among a view's dependencies and skips any stylesheet that a
 * <link> already names, so no view fetches it again. Lazy views' own stylesheets stay files.
 */
function inlineEntryCss(): Plugin {
  return {
    name: 'darkroom:inline-entry-css',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, { bundle }) {
        if (!bundle) return html;
        return html.replace(/<link rel="stylesheet"[^>]*href="\/([^"]+\.css)"[^>]*>/g, (link, file: string) => {
          const asset = bundle[file];
          if (asset?.type !== 'asset') return link;
          const css = String(asset.source).replaceAll('</style', '<\\/style');
          return `<style>${css}</style>\n    ${link.replace('<link ', '<link disabled ')}`;
        });
      },
    },
  };
}

export default defineConfig({
  plugins: [
    react(),
    inlineEntryCss(),
    // Brotli and gzip copies of every script, stylesheet and the page, made once at build: the API
    // serves them (@fastify/static's preCompressed) without compressing on each request.
    compression({ algorithms: ['brotliCompress', 'gzip'], threshold: 1024, logLevel: 'silent' }),
  ],
  server: { proxy: { '/trpc': api, '/images': api } },
  build: { outDir: 'dist', sourcemap: true },
});
