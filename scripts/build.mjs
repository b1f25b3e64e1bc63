// `npm run build` (and `npm pack` through prepack): compiles the library, the workers and the CLI
// into dist/ and copies the files they read at run time (migrations, dashboard assets, the
// failure converter the SDK require()s by path).
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const RUNTIME_FILES = ['db/migrations', 'dashboard/public', 'lib/encrypted-failure-converter.cjs'];

rmSync('dist', { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
for (const file of RUNTIME_FILES) cpSync(file, `dist/${file}`, { recursive: true });
