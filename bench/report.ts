/** The result table: one row per figure, a column per store, the target, and PASS/MISS per cell. */

export type Verdict = 'PASS' | 'MISS';

export interface Cell {
  text: string;
  verdict?: Verdict;
}

export interface Row {
  metric: string;
  sqlite?: Cell;
  etcd?: Cell;
  target?: string;
}

/** A row that is only a heading for the rows below it. */
export interface Section {
  section: string;
}

export function cell(text: string, verdict?: Verdict): Cell {
  return { text, verdict };
}

/** A cell judged against a target: PASS when `ok`, MISS otherwise; no verdict when value is unknown. */
export function judged(text: string, value: number, ok: (v: number) => boolean): Cell {
  return Number.isFinite(value) ? { text, verdict: ok(value) ? 'PASS' : 'MISS' } : { text };
}

export function renderTable(rows: ReadonlyArray<Row | Section>): string {
  const show = (c?: Cell) => (c ? (c.verdict ? `${c.text}  ${c.verdict}` : c.text) : '-');
  const header = ['', 'SQLite', 'etcd (1 member)', 'target'];
  const body = rows.map((r) =>
    'section' in r ? null : [r.metric, show(r.sqlite), show(r.etcd), r.target ?? ''],
  );
  const widths = header.map((h, col) =>
    Math.max(h.length, ...body.map((cells) => (cells ? cells[col].length : 0))),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, col) => (col === 0 || col === 3 ? c.padEnd(widths[col]) : c.padStart(widths[col])))
      .join('   ')
      .trimEnd();
  const rule = '-'.repeat(widths.reduce((a, b) => a + b, 0) + 3 * (widths.length - 1));
  const out = [line(header), rule];
  rows.forEach((r, i) => {
    if ('section' in r) out.push(`${out.length > 2 ? '\n' : ''}${r.section}`);
    else out.push(line(body[i]!));
  });
  return out.join('\n');
}
