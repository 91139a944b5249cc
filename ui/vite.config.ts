import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";

// The page is served by the daemon from the same origin (contract §5.1), so
// asset URLs are relative to "/". The .proto lives outside ui/ and is
// imported with ?raw, which needs the repository root on Vite's allow list.
const repoRoot = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig({
  plugins: [react()],
  base: "/",
  server: {
    fs: { allow: [repoRoot] },
    // `npm run dev` against a local daemon: DS_DAEMON=http://127.0.0.1:3002
    proxy: process.env.DS_DAEMON
      ? {
          "/api": process.env.DS_DAEMON,
          "/version": process.env.DS_DAEMON,
          "/ws": { target: process.env.DS_DAEMON.replace(/^http/, "ws"), ws: true },
        }
      : undefined,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2020",
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
  test: {
    environment: "node",
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
  },
});
