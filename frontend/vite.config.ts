/// <reference types="vitest/config" />
import { defineConfig } from "vite";

export default defineConfig({
  base: "/static/app/",
  build: {
    outDir: "../maengelmelder/static/app",
    emptyOutDir: true,
    manifest: false,
    target: "es2020",
  },
  server: {
    // `npm run dev` against a backend on :5055
    proxy: { "/api": "http://127.0.0.1:5055", "/media": "http://127.0.0.1:5055" },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
  },
});
