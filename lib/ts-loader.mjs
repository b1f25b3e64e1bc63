// `npm start`'s TypeScript loader: `node --import ./lib/ts-loader.mjs workers/main.ts`. It compiles
// this project's own .ts files (esbuild, kept in a cache keyed by content) and leaves every other
// module to Node. tsx does the same and more (tsconfig paths, CommonJS, .tsx…), but its hooks run
// for each of the ~600 modules a start loads: about 0.6 s of CPU that a start spends here instead.
// Tests, the CLI and the scripts still run through tsx.
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./ts-loader-hooks.mjs', import.meta.url);
