// `npm run eval`: how well healing decides, measured against the real system (issue 12).
//   corpus    the fault scenarios of eval/corpus.ts, in small concurrent batches
//   learning  one fault with one working strategy, 50 occurrences in sequence, then a change
//   storm     2,000 concurrent failures of one signature that one re-run heals
// Prints the scorecard and writes it to eval/results.md (full runs; --out=FILE otherwise).
// Options: --only=corpus,learning,storm   --quick (the fast subset, small counts)   --out=FILE
//          --scenarios=ID,ID (corpus rows by id)
// Exit code 0 whatever the system scores (it is a measure); 1 only when the eval itself could not run.
import { parseArgs as parseArgv } from 'node:util';
import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORPUS, selectScenarios, type Scenario } from './corpus.js';
import { startEvalEnvironment, type EvalEnvironment } from './environment.js';
import { measureLearning } from './learning.js';
import { runScenarios } from './scenarios.js';
import { renderReport, type EvalReport } from './scorecard.js';
import { measureStorm } from './storm.js';
import { startEvalSystem, type EvalSystem } from './system.js';

const PARTS = ['corpus', 'learning', 'storm'] as const;
type Part = (typeof PARTS)[number];

function parseArgs(argv: string[]) {
  const { values } = parseArgv({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      scenarios: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const quick = values.quick;
  const only = values.only?.split(',').filter(Boolean) ?? [...PARTS];
  for (const part of only)
    if (!PARTS.includes(part as Part)) throw new Error(`unknown part ${part}; one of ${PARTS.join(', ')}`);
  const ids = values.scenarios?.split(',').filter(Boolean);
  const scenarios = selectScenarios(quick).filter((scenario) => !ids || ids.includes(scenario.id));
  const unknown = ids?.filter((id) => !CORPUS.some((scenario) => scenario.id === id)) ?? [];
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; see eval/corpus.ts`);
  const full = !quick && !ids && only.length === PARTS.length;
  const out = values.out ?? (full ? path.join(path.dirname(fileURLToPath(import.meta.url)), 'results.md') : undefined);
  return { quick, only: only as Part[], scenarios, out };
}

async function measure(
  part: Part,
  system: EvalSystem,
  { quick, scenarios }: { quick: boolean; scenarios: Scenario[] },
  report: EvalReport,
): Promise<void> {
  switch (part) {
    case 'corpus':
      report.corpus = await runScenarios(system, scenarios, {
        onResult: (result) =>
          console.log(
            result.misses.length
              ? `  ✗ ${result.scenario.id}: ${result.misses.join('; ')}`
              : `  ✓ ${result.scenario.id}`,
          ),
      });
      return;
    case 'learning':
      report.learning = await measureLearning(system, {
        ...(quick ? { occurrences: 12, afterChange: 6 } : {}),
        onOccurrence: (occurrence, n) =>
          console.log(`  occurrence ${n} (phase ${occurrence.phase}): ${occurrence.tried.join(' → ')}`),
      });
      return;
    case 'storm':
      report.storm = await measureStorm(system, quick ? { callers: 200 } : {});
  }
}

/** The error and its causes (a failed query's cause is the database's own message). */
function describe(error: unknown): string {
  const causes: string[] = [];
  for (let cause = (error as Error).cause; cause !== undefined && causes.length < 5; cause = (cause as Error).cause) {
    causes.push(`caused by: ${String((cause as Error).message ?? cause)}`);
  }
  return [(error as Error).stack ?? String(error), ...causes].join('\n');
}

function revision(): string {
  const git = (args: string) => execSync(`git ${args}`, { encoding: 'utf8' }).trim();
  try {
    const changed = git('status --porcelain --untracked-files=no') !== '';
    return `${git('rev-parse --short HEAD')}${changed ? ' (with uncommitted changes)' : ''}`;
  } catch {
    return 'an unknown revision';
  }
}

async function main(): Promise<number> {
  const { quick, only, scenarios, out } = parseArgs(process.argv.slice(2));
  const report: EvalReport = {
    startedAt: new Date(),
    revision: revision(),
    machine: { cores: os.availableParallelism(), loadAtStart: os.loadavg()[0]! },
    mode: `${quick ? 'quick' : 'full'} (${only.join(', ')})`,
    broken: [],
  };
  let env: EvalEnvironment;
  try {
    env = await startEvalEnvironment();
  } catch (error) {
    console.error(`The eval could not start its Temporal dev server: ${(error as Error).message}`);
    return 1;
  }
  try {
    for (const part of only) {
      console.log(`${part}…`);
      // Each part on a fresh system: its own database, so nothing learned in one part helps another.
      const system = await startEvalSystem(env);
      try {
        await measure(part, system, { quick, scenarios }, report);
      } catch (error) {
        report.broken.push(`${part}: ${describe(error)}`);
      } finally {
        await system.stop();
      }
    }
    report.machine.loadAtEnd = os.loadavg()[0];
    const rendered = renderReport(report);
    console.log(`\n${rendered}`);
    if (out) {
      writeFileSync(out, `${rendered}\n`);
      console.log(`Written to ${path.relative(process.cwd(), out)}`);
    }
  } finally {
    await env.close();
  }
  return 0;
}

// Exits once the report is out, whatever RPC of a caller may still be retrying (see environment.ts).
const code = await main();
process.stdout.write('', () => process.exit(code));
