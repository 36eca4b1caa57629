import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into dist/portal beside the compiled service, which serves it under /portal.
export default defineConfig({
  root: import.meta.dirname,
  base: '/portal/',
  plugins: [react()],
  build: {
    outDir: '../../dist/portal',
    emptyOutDir: true,
    // No inline script: the Content-Security-Policy allows only the bundle's own files.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 400,
  },
});
