// bench/results.md keeps every benchmark's latest figures: a benchmark run on its own replaces its
// section (found by its heading) and leaves the others.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'results.md');

/** Replaces the section whose first line (its `## ` heading) matches `section`'s, or appends it. */
export function recordSection(section: string): void {
  const current = readFileSync(RESULTS_FILE, 'utf8');
  const heading = section.split('\n')[0]!;
  const start = current.indexOf(heading);
  const next = start < 0 ? -1 : current.indexOf('\n## ', start + heading.length);
  const updated =
    start < 0
      ? `${current.trimEnd()}\n\n${section}\n`
      : `${current.slice(0, start)}${section}\n${next < 0 ? '' : current.slice(next)}`;
  writeFileSync(RESULTS_FILE, updated);
  console.log(`\nRecorded in ${RESULTS_FILE}`);
}
