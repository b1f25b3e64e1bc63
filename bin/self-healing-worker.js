#!/usr/bin/env node
// The central worker (`npm start` in a checkout): Temporal dev server if none answers, database,
// workflows, activities, health-check schedule and dashboard. Installed, its data (embedded
// database, dev server state) goes to ./.data of the directory it is started from, not into
// node_modules, unless DATA_DIR says otherwise.
import path from 'node:path';
import { runEntry } from './run-entry.js';

process.env.DATA_DIR ??= path.resolve('.data');
await runEntry('workers/main');
