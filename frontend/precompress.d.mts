import type { Plugin } from "vite";

/** Writes `<file>.br` and `<file>.gz` beside each compressible file under `dir`. */
export function compressDirectory(dir: string): Promise<string[]>;

/** The Vite plugin: compresses the whole output directory once the build has written it. */
export function precompress(): Plugin;
