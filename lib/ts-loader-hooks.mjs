// The hooks of lib/ts-loader.mjs (they run on Node's loader thread). A relative `.js` import from a
// .ts file names the .ts file beside it (TypeScript's NodeNext convention); a .ts file is
// compiled to JavaScript once per content and then read from the cache.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// esbuild is tsx's own compiler: taken from tsx's dependencies, so it is always the one installed.
const requireFromTsx = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'));
const ESBUILD_VERSION = requireFromTsx('esbuild/package.json').version;
const OPTIONS = { loader: 'ts', format: 'esm', target: 'node20', sourcemap: 'inline' };
const CACHE_DIR = path.join(tmpdir(), `self-healing-ts-${userInfo().uid}`);

/** @type {import('esbuild') | undefined} */
let esbuild;

/** @type {import('node:module').ResolveHook} */
export async function resolve(specifier, context, nextResolve) {
  if (context.parentURL?.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const url = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
    if (existsSync(url)) return { url: url.href, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

/** @type {import('node:module').LoadHook} */
export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const source = readFileSync(file, 'utf8');
  const key = createHash('sha256').update(`${ESBUILD_VERSION}\n${file}\n`).update(source).digest('hex');
  const cached = path.join(CACHE_DIR, `${key.slice(0, 32)}.js`);
  try {
    return { format: 'module', source: readFileSync(cached, 'utf8'), shortCircuit: true };
  } catch {
    // not compiled yet
  }
  esbuild ??= requireFromTsx('esbuild');
  const { code } = await esbuild.transform(source, { ...OPTIONS, sourcefile: file });
  mkdirSync(CACHE_DIR, { recursive: true });
  // Written aside, then renamed: two starts at once never read half a file.
  const draft = `${cached}.${process.pid}.tmp`;
  writeFileSync(draft, code);
  renameSync(draft, cached);
  return { format: 'module', source: code, shortCircuit: true };
}
