// The central worker's workflow bundle, built once per version of the workflow code and kept in a
// cache directory (DATA_DIR): bundling takes seconds to tens of seconds, and `npm start` needs it
// on every start. The key is a hash of what goes into the bundle: the workflow and common sources,
// the SDK's version, the converters and the bundler plugins. A changed source makes a new bundle.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundle } from '@temporalio/worker';
import { logger } from '../lib/logger.js';
import { WORKFLOWS_PATH } from './worker.js';

const require = createRequire(import.meta.url);

/** What the bundle is made of besides its sources. */
export type BundleInputs = Pick<BundleOptions, 'failureConverterPath' | 'payloadConverterPath' | 'plugins'>;

/** Webpack's report of every module is noise at start: its warnings and errors only. */
const bundlerLogger: NonNullable<BundleOptions['logger']> = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message, meta) => logger.warn(meta ?? {}, message),
  error: (message, meta) => logger.error(meta ?? {}, message),
};

/** The folders the workflows import from (only types come from elsewhere, and types leave no code). */
const SOURCE_DIRS = [path.dirname(WORKFLOWS_PATH), path.join(path.dirname(WORKFLOWS_PATH), '..', 'common')];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.[cm]?[jt]s$/.test(name) && !/\.test\.[jt]s$/.test(name))
    .map((name) => path.join(dir, name))
    .sort();
}

/** Hash of everything that shapes the bundle. */
export function bundleKey(inputs: BundleInputs): string {
  const hash = createHash('sha256');
  for (const name of ['@temporalio/worker', '@temporalio/workflow']) {
    hash.update(`${name}@${(require(`${name}/package.json`) as { version: string }).version}\n`);
  }
  hash.update(`${WORKFLOWS_PATH}\n${inputs.failureConverterPath ?? ''}\n${inputs.payloadConverterPath ?? ''}\n`);
  for (const plugin of inputs.plugins ?? []) hash.update(`plugin ${plugin.name}\n`);
  for (const file of SOURCE_DIRS.flatMap(sourceFiles)) hash.update(`${file}\n`).update(readFileSync(file));
  return hash.digest('hex').slice(0, 32);
}

/**
 * The bundle for these inputs from `cacheDir`, or built and stored there (replacing older ones).
 * `cached` says which: a first start, or one after a change, bundles.
 */
export async function cachedWorkflowBundle(
  cacheDir: string,
  inputs: BundleInputs,
): Promise<{ bundle: WorkflowBundle; cached: boolean }> {
  const file = path.join(cacheDir, `${bundleKey(inputs)}.js`);
  try {
    return { bundle: { code: readFileSync(file, 'utf8') }, cached: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: bundlerLogger, ...inputs });
  mkdirSync(cacheDir, { recursive: true });
  // Written aside, then renamed: a start that reads it never sees half a bundle.
  const draft = `${file}.${process.pid}.tmp`;
  writeFileSync(draft, code);
  renameSync(draft, file);
  for (const old of readdirSync(cacheDir)) {
    if (old !== path.basename(file) && !old.endsWith('.tmp')) rmSync(path.join(cacheDir, old), { force: true });
  }
  return { bundle: { code }, cached: false };
}
