#!/usr/bin/env node
// The operator CLI: compiled when installed, the TypeScript sources through tsx in a checkout.
// Without DATABASE_URL it reads the audit trail through the worker started from the same directory
// (its token is kept in ./.data, as bin/self-healing-worker.js does), unless DATA_DIR says otherwise.
import path from 'node:path';
import { runEntry } from './run-entry.js';

process.env.DATA_DIR ??= path.resolve('.data');

await runEntry('cli/main');
