// Precompression of the built apps: next to every text file of the build, the same file
// compressed with brotli (.br) and gzip (.gz), at the highest levels, once per build. The
// server sends whichever of them the browser accepts (maengelmelder/web/shell.py), so no
// answer for a built file is compressed while a request waits.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

/** Text files worth compressing; images such as PNG or JPEG are compressed already. */
const COMPRESSIBLE = /\.(?:js|mjs|css|html|svg|json|webmanifest|txt|xml|map)$/;

/** A variant is kept only when it saves at least this share of the original's bytes. */
const MIN_SAVING = 0.05;

async function* files(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (entry.isFile()) yield path;
  }
}

function brotli(data) {
  return brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
}

/** Writes `<file>.br` and `<file>.gz` beside each compressible file under `dir`. */
export async function compressDirectory(dir) {
  const written = [];
  for await (const path of files(dir)) {
    if (!COMPRESSIBLE.test(path)) continue;
    const data = await readFile(path);
    for (const [suffix, compress] of [
      [".br", brotli],
      [".gz", (d) => gzipSync(d, { level: 9 })],
    ]) {
      const packed = compress(data);
      if (packed.length <= data.length * (1 - MIN_SAVING)) {
        await writeFile(path + suffix, packed);
        written.push(path + suffix);
      }
    }
  }
  return written;
}

/** The Vite plugin: compresses the whole output directory once the build has written it. */
export function precompress() {
  let outDir = "";
  return {
    name: "maengelmelder-precompress",
    apply: "build",
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      await compressDirectory(outDir);
    },
  };
}
