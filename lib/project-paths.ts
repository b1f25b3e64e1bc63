import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Repository root, found from this file so scripts work from any working directory. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TOOLS_DIR = path.join(PROJECT_ROOT, '.tools');
export const DEFAULT_DATA_DIR = path.join(PROJECT_ROOT, '.data');
