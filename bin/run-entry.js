// Runs one of the package's entry points. Installed from npm, the package holds only compiled
// JavaScript (dist/); in a checkout the TypeScript sources are there and run through tsx, so
// `npm start` and `npx heal` need no build step.
import { existsSync } from 'node:fs';

/** `entry` without extension, relative to the package root, e.g. 'workers/main'. */
export async function runEntry(entry) {
  const source = new URL(`../${entry}.ts`, import.meta.url);
  if (!existsSync(source)) return import(new URL(`../dist/${entry}.js`, import.meta.url).href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(source.href);
}
