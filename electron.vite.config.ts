import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

const here = import.meta.dirname;

// Three builds into out/: main (ESM, package "type": "module"), the preload, and the React renderer that
// the sync server also serves at `/` as the web dashboard.
export default defineConfig({
  main: {
    build: { lib: { entry: resolve(here, 'src-main/index.ts') } },
  },
  preload: {
    build: {
      lib: { entry: resolve(here, 'src-main/preload/index.ts'), formats: ['cjs'] },
      // A sandboxed preload (D5) runs as one classic script: it can require only `electron`, so it is
      // CommonJS with every import bundled in, and named .cjs because the package is "type": "module".
      externalizeDeps: false,
      isolatedEntries: true,
      rolldownOptions: { output: { entryFileNames: '[name].cjs' } },
    },
  },
  renderer: {
    root: resolve(here, 'src-renderer'),
    // Relative asset URLs: the same build is loaded from the sync server at `/` and inside Electron.
    base: './',
    build: {
      outDir: resolve(here, 'out/renderer'),
      emptyOutDir: true,
      minify: true,
      rolldownOptions: { input: resolve(here, 'src-renderer/index.html') },
    },
    plugins: [react()],
  },
});
