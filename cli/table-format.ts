// Plain-text tables and key/value blocks for the operator CLI (no colours: output is often piped).

export type Cell = string | number | boolean | Date | null | undefined;

export interface Column<T> {
  header: string;
  value: (row: T) => Cell;
  /** Longer cells are cut with an ellipsis. Default 60. */
  maxWidth?: number;
  align?: 'left' | 'right';
}

function formatCell(value: Cell): string {
  if (value === null || value === undefined || value === '') return '-';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '-' : formatDate(value);
  return String(value).replace(/\s+/g, ' ');
}

/** ISO time without milliseconds, in UTC: sortable, unambiguous, short. */
export function formatDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(1, width - 1))}…`;
}

export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((column) => fit(formatCell(column.value(row)), column.maxWidth ?? 60)));
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...cells.map((line) => line[index]!.length)),
  );
  const render = (line: readonly string[]) =>
    line
      .map((text, index) =>
        columns[index]!.align === 'right' ? text.padStart(widths[index]!) : text.padEnd(widths[index]!),
      )
      .join('  ')
      .trimEnd();
  return [render(columns.map((column) => column.header)), ...cells.map(render)].join('\n');
}

/** `key: value` lines with aligned values; undefined values are left out. */
export function formatFields(fields: Record<string, Cell>): string {
  const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
  const width = Math.max(0, ...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${`${key}:`.padEnd(width + 1)} ${formatCell(value)}`).join('\n');
}

export function formatPercent(ratio: number | null | undefined): string {
  return ratio === null || ratio === undefined ? '-' : `${(ratio * 100).toFixed(1)}%`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)}m`;
  return `${(ms / 3_600_000).toFixed(1)}h`;
}

/** JSON for `--json`: dates as ISO strings, bigints as strings, Uint8Arrays as base64. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, item: unknown) => {
      if (typeof item === 'bigint') return item.toString();
      if (item instanceof Uint8Array) return Buffer.from(item).toString('base64');
      if (item instanceof Map) return Object.fromEntries(item);
      return item;
    },
    2,
  );
}
