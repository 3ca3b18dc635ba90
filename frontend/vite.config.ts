/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import { precompress } from "./precompress.mjs";

/** An HTML entry next to this file, whatever the working directory. */
const page = (name: string) => decodeURIComponent(new URL(`./${name}`, import.meta.url).pathname);

export default defineConfig({
  base: "/static/app/",
  // Every text file of the build also as .br and .gz, served as the browser accepts them.
  plugins: [precompress()],
  build: {
    outDir: "../maengelmelder/static/app",
    emptyOutDir: true,
    manifest: false,
    target: "es2020",
    rollupOptions: {
      // The citizen app and the staff app: separate bundles, so staff code never weighs on
      // the citizen's first screen.
      input: { index: page("index.html"), staff: page("staff.html") },
    },
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
