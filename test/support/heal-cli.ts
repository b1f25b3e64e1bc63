// Runs the `heal` command as a user would: `node bin/heal.js …` in a child process, with the
// connection given by environment variables, and collects its output and exit code.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const HEAL_BIN = path.join(PROJECT_ROOT, 'bin', 'heal.js');

export interface HealResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface HealEnv {
  TEMPORAL_ADDRESS: string;
  DATABASE_URL?: string;
  TEMPORAL_TASK_QUEUE?: string;
  [name: string]: string | undefined;
}

/** A command that has not exited after this long is killed (the test then fails on its code). */
const KILL_AFTER_MS = 240_000;

export function heal(args: readonly string[], env: HealEnv): Promise<HealResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_NAMESPACE: 'default', ...env };
  for (const name of ['DATABASE_URL', 'TEMPORAL_TASK_QUEUE'] as const)
    if (env[name] === undefined) delete childEnv[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HEAL_BIN, ...args], {
      cwd: PROJECT_ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    child.once('error', (error) => {
      clearTimeout(killer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `heal … --json` and parses its output; fails with the output when the exit code is not 0. */
export async function healJson<T>(args: readonly string[], env: HealEnv): Promise<T> {
  const result = await heal([...args, '--json'], env);
  if (result.code !== 0)
    throw new Error(`heal ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`heal ${args.join(' ')} printed no JSON:\n${result.stdout}\n${result.stderr}`);
  }
}
