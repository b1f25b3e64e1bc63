// bench/results.md keeps every benchmark's latest figures: a run replaces the sections it measured
// (found by their headings) and leaves the others; a run of the default set also replaces the
// header (machine, date, load), which the sections without their own date refer to.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'results.md');

/** Replaces the section whose first line (its `## ` heading) matches `section`'s, or appends it. */
export function recordSection(section: string): void {
  const current = readFileSync(RESULTS_FILE, 'utf8');
  const heading = section.split('\n')[0]!;
  const start = current.indexOf(`${heading}\n`);
  const next = start < 0 ? -1 : current.indexOf('\n## ', start + heading.length);
  const updated =
    start < 0
      ? `${current.trimEnd()}\n\n${section}\n`
      : `${current.slice(0, start)}${section}\n${next < 0 ? '' : current.slice(next)}`;
  writeFileSync(RESULTS_FILE, updated);
  console.log(`\nSection "${heading}" recorded in ${RESULTS_FILE}`);
}

/** Replaces what comes before the first section. */
export function recordHeader(header: string): void {
  const current = readFileSync(RESULTS_FILE, 'utf8');
  const first = current.indexOf('\n## ');
  writeFileSync(RESULTS_FILE, `${header}\n${first < 0 ? '' : current.slice(first)}`);
}
