#!/usr/bin/env node
// The operator CLI. The project runs TypeScript directly (no build step): tsx loads it.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
