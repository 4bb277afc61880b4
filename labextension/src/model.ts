/**
 * Pure logic shared by the panel and the run view: no DOM, no JupyterLab imports,
 * so it is unit-tested with jest (labextension/test).
 */

export type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Skipped' | 'Omitted';

export const PHASES: Phase[] = ['Pending', 'Running', 'Succeeded', 'Failed', 'Error'];
export const FINISHED = ['Succeeded', 'Failed', 'Error'];

/** Argo CLI glyphs (cmd/argo/commands/common/common.go). */
export const PHASE_ICONS: Record<string, string> = {
  Pending: '◷',
  Running: '●',
  Succeeded: '✔',
  Skipped: '○',
  Omitted: '○',
  Failed: '✖',
  Error: '⚠'
};

/** Argo UI colours (argo-ui config.scss). */
export const PHASE_COLORS: Record<string, string> = {
  // the kernel's palette (jupyter_flow/picture/style.py PHASE_COLOURS, pinned equal by
  // tests/labextension/test_palette.py): the run view's graph is drawn with that stylesheet
  Pending: '#f4c030',
  Running: '#0dadea',
  Suspended: '#7f6fd9',
  Succeeded: '#18be94',
  Failed: '#e96d76',
  Error: '#c4323e',
  Skipped: '#ccd6dd',
  Omitted: '#dde3e8'
};

export interface IRunSummary {
  name: string;
  namespace?: string;
  phase: string;
  message?: string;
  createdAt?: string | null;
  startedAt?: string | null;
  finishedAt?: string | null;
  duration?: number | null;
  progress?: string;
  suspended?: boolean;
  labels?: Record<string, string>;
}

export interface INodeStatus {
  id: string;
  name: string;
  displayName: string;
  type: string;
  phase?: string;
  templateName?: string;
  boundaryID?: string;
  children?: string[];
  inputs?: any;
  outputs?: any;
  message?: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  memoizationStatus?: { hit?: boolean; key?: string; cacheName?: string };
}

export interface IWorkflow {
  metadata: { name: string; [k: string]: any };
  spec?: any;
  status?: {
    phase?: string;
    message?: string;
    startedAt?: string | null;
    finishedAt?: string | null;
    progress?: string;
    suspended?: boolean;
    nodes?: Record<string, INodeStatus>;
  };
}

/**
 * Whether a name from the server (a run name) can be one URL path segment. `.` and `..` cannot:
 * URL joining and the browser's URL parser resolve them (even spelled `%2E%2E`) away. A run an
 * older version stored under such a name is deleted with `DELETE runs?name=` instead.
 */
export function isPathSafe(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..';
}

export function isFinished(phase: string | undefined | null): boolean {
  return !!phase && FINISHED.includes(phase);
}

export function phaseIcon(phase: string | undefined | null, type?: string): string {
  if (type === 'Suspend' && phase === 'Running') {
    return 'ǁ';
  }
  return PHASE_ICONS[phase || 'Pending'] ?? '?';
}

export function phaseColor(phase: string | undefined | null): string {
  return PHASE_COLORS[phase || 'Pending'] ?? '#CCD6DD';
}

/** Argo's human duration: 45s, 3m12s, 1h2m, 2d3h. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds) || seconds < 0) {
    return '';
  }
  const s = Math.floor(seconds);
  if (s < 60) {
    return `${s}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  }
  const h = Math.floor(m / 60);
  if (h < 24) {
    return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  }
  const d = Math.floor(h / 24);
  return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
}

export function parseTime(value: string | null | undefined): number | null {
  if (!value) {
    return null;
  }
  const t = Date.parse(value);
  return isNaN(t) ? null : t / 1000;
}

/** Seconds from start to finish (or to ``now`` while running). */
export function durationOf(
  startedAt: string | null | undefined,
  finishedAt: string | null | undefined,
  now: number = Date.now() / 1000
): number | null {
  const t0 = parseTime(startedAt);
  if (t0 === null) {
    return null;
  }
  const t1 = parseTime(finishedAt);
  return Math.max(0, (t1 ?? now) - t0);
}

/** "2 minutes ago"-style age for the list. */
export function formatAge(value: string | null | undefined, now: number = Date.now() / 1000): string {
  const t = parseTime(value);
  if (t === null) {
    return '';
  }
  const d = formatDuration(Math.max(0, now - t));
  return d ? `${d} ago` : '';
}

/**
 * Which actions make sense for a run (Argo UI's workflow-operations-map): stop, terminate and
 * suspend while it runs, resume only while it is suspended (``suspended``: ``argo suspend`` or a
 * Suspend step waiting, as Argo's ``isWorkflowSuspended``), suspend only while it is not, retry
 * after Failed or Error; resubmit and delete always. A Pending run has not started: Argo offers
 * none of the running actions for it either.
 */
export function allowedActions(run: { phase: string; suspended?: boolean }): Set<string> {
  const out = new Set<string>(['delete', 'resubmit']);
  if (run.phase === 'Running') {
    out.add('stop');
    out.add('terminate');
    out.add(run.suspended ? 'resume' : 'suspend');
  }
  if (run.phase === 'Failed' || run.phase === 'Error') {
    out.add('retry');
  }
  return out;
}

/** Argo UI's ``isWorkflowSuspended``: ``spec.suspend`` (or our ``status.suspended``, set by
 * ``argo suspend``), or a Suspend step waiting for its resume. */
export function isSuspended(wf: IWorkflow): boolean {
  if (wf.spec?.suspend || wf.status?.suspended) {
    return true;
  }
  return Object.values(wf.status?.nodes ?? {}).some(n => n.type === 'Suspend' && n.phase === 'Running');
}

/** What the runs list shows: the server filters (``GET runs?...``), so 10,000 runs stay on the server. */
export interface IRunsFilter {
  /** one phase, or '' for all */
  phase: string;
  /** a Kubernetes label selector (``team=nlp,batch!=3``), as ``argo list -l`` */
  label: string;
  /** the start of the run's name */
  prefix: string;
  /** created on or after this day (``YYYY-MM-DD``, the browser's local day), or '' */
  since: string;
  /** created on or before this day, or '' */
  until: string;
}

export const NO_FILTER: IRunsFilter = { phase: '', label: '', prefix: '', since: '', until: '' };

/** Midnight starting a local ``YYYY-MM-DD`` day, as an ISO instant ('' when it is not a date). */
export function localDayStart(day: string, plusDays = 0): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day.trim());
  if (!m) {
    return '';
  }
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays);
  return isNaN(d.getTime()) ? '' : d.toISOString();
}

/** The query string of one page of the runs list under a filter (``until`` includes its whole day). */
export function runsQuery(filter: IRunsFilter, offset: number, limit: number): string {
  const params: [string, string][] = [
    ['offset', String(Math.max(0, Math.floor(offset)))],
    ['limit', String(Math.max(1, Math.floor(limit)))]
  ];
  if (filter.phase) {
    params.push(['phase', filter.phase]);
  }
  if (filter.label.trim()) {
    params.push(['label', filter.label.trim()]);
  }
  if (filter.prefix.trim()) {
    params.push(['prefix', filter.prefix.trim()]);
  }
  const since = localDayStart(filter.since);
  if (since) {
    params.push(['since', since]);
  }
  const until = localDayStart(filter.until, 1);
  if (until) {
    params.push(['until', until]);
  }
  return '?' + params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}

/** One answer of ``GET runs``: a page of summaries and how many runs match. */
export interface IRunsPage {
  runs: IRunSummary[];
  total: number;
  offset: number;
  limit: number | null;
  counts: Record<string, number>;
}

/**
 * The rows of a virtual list to build: those in view plus ``overscan`` on each side, as
 * ``[start, end)`` within ``total`` rows of ``rowHeight`` pixels scrolled to ``scrollTop``.
 */
export function visibleRange(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  total: number,
  overscan = 5
): [number, number] {
  if (total <= 0 || rowHeight <= 0) {
    return [0, 0];
  }
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const count = Math.ceil(Math.max(0, viewport) / rowHeight) + 1;
  const start = Math.max(0, Math.min(first, total - 1) - overscan);
  const end = Math.min(total, first + count + overscan);
  return [start, Math.max(start, end)];
}

/** The page numbers (of ``pageSize`` rows) that hold rows ``[start, end)``. */
export function pagesOf(start: number, end: number, pageSize: number): number[] {
  if (end <= start) {
    return [];
  }
  const out: number[] = [];
  for (let p = Math.floor(start / pageSize); p <= Math.floor((end - 1) / pageSize); p++) {
    out.push(p);
  }
  return out;
}

export interface ISseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Incremental Server-Sent Events parser: feed it text chunks, get complete events back.
 * (EventSource cannot send Jupyter's token header, so the log stream is read with fetch.)
 */
export class SseParser {
  private buffer = '';

  feed(chunk: string): ISseEvent[] {
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    const events: ISseEvent[] = [];
    let idx: number;
    while ((idx = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, idx);
      this.buffer = this.buffer.slice(idx + 2);
      let event = 'message';
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) {
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) {
          value = value.slice(1);
        }
        if (field === 'event') {
          event = value;
        } else if (field === 'data') {
          data.push(value);
        } else if (field === 'id') {
          id = value;
        }
      }
      if (data.length) {
        events.push({ event, data: data.join('\n'), id });
      }
    }
    return events;
  }
}

export interface ILintError {
  message: string;
  path?: string;
  file?: string;
  line?: number;
  column?: number;
  severity?: string;
  text?: string;
}

/** One line per lint error: "line 12, col 5: spec.templates[0].contaner: unknown field". */
export function formatLintError(e: ILintError): string {
  const where = e.line ? `line ${e.line}, col ${e.column ?? 0}` : 'document';
  return `${where}: ${e.path ? `${e.path}: ` : ''}${e.message}`;
}

/** Whether a cell's text is a %%workflow cell (its first line starts with the magic). */
export function isWorkflowCell(text: string): boolean {
  return /^\s*%%workflow(\s|$)/.test(text);
}

/** A `data:` URI of a verified raster image (what the server's compare sends), else null: an
 * image's `src` never gets anything else (no SVG, no URL a run chose). */
export function safeImageUri(uri: unknown): string | null {
  return typeof uri === 'string' && /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]*$/.test(uri) ? uri : null;
}

/** A compared value as text: strings as they are, numbers shortened, missing as an em dash. */
export function compareText(value: unknown): string {
  if (value === null || value === undefined) {
    return '\u2014';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}
