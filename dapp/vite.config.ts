import { defineConfig } from 'vite'

// Relative asset paths, so the built site works from any folder or URL prefix (the devnet serves it
// with its config.json next to index.html).
export default defineConfig({
  base: './',
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  server: { port: 5173 },
})
