#!/usr/bin/env node
// The operator CLI: compiled when installed, the TypeScript sources through tsx in a checkout.
import { runEntry } from './run-entry.js';

await runEntry('cli/main');
