// The token `npm start` gives a loopback dashboard when DASHBOARD_TOKEN is unset: made once and
// kept in DATA_DIR, readable by the owner only, so printed links and sign-ins survive restarts.
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DashboardConfigError, requireToken } from './auth.js';

export const LOCAL_TOKEN_FILE = 'dashboard-token';
const OWNER_ONLY = 0o600;

/** The token kept in `dataDir`, made on first use. */
export function localDashboardToken(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, LOCAL_TOKEN_FILE);
  createOnce(file, randomBytes(24).toString('hex'));
  chmodSync(file, OWNER_ONLY); // a copy restored from a backup may have come back readable by others
  try {
    return requireToken(readFileSync(file, 'utf8'));
  } catch {
    throw new DashboardConfigError(`${file} does not hold a usable dashboard token: delete it to have a new one made`);
  }
}

/** The token a worker made in `dataDir`, if any: for a client of its dashboard (`heal`), which never makes one. */
export function readLocalDashboardToken(dataDir: string): string | undefined {
  try {
    return readFileSync(path.join(dataDir, LOCAL_TOKEN_FILE), 'utf8').trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes `token` to `file` unless it exists. Link-then-unlink: a concurrent start never reads a half-written file. */
function createOnce(file: string, token: string): void {
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, `${token}\n`, { mode: OWNER_ONLY, flag: 'wx' });
  try {
    linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(draft);
  }
}
