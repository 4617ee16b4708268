import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/** Where `npm run dev -w @berth/web` sends API calls: a Berth started with `npm start`. */
const apiTarget = 'http://127.0.0.1:7080';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // antd alone is larger than Vite's default warning limit; route chunks keep pages small.
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: {
      // ws: the web shell is a WebSocket under /api.
      '/api': { target: apiTarget, changeOrigin: false, ws: true },
    },
  },
});
