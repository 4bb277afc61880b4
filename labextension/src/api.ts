/** Calls to the server extension (``<base>/jupyter-flow/api/``), with Jupyter's auth. */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { ILogRange } from './logtail';
import { ILintError, IRunsFilter, IRunsPage, isPathSafe, IWorkflow, runsQuery, SseParser } from './model';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: ILintError[] = []
  ) {
    super(message);
  }
}

const settings = () => ServerConnection.makeSettings();

function url(...parts: string[]): string {
  const s = settings();
  return URLExt.join(s.baseUrl, 'jupyter-flow', 'api', ...parts.map(p => encodeURIComponent(p)));
}

async function request<T>(path: string[], init: RequestInit = {}, query = ''): Promise<T> {
  const s = settings();
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url(...path) + query, init, s);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: any = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { message: text };
  }
  if (!response.ok) {
    throw new ApiError(response.status, data.message || response.statusText, data.errors || []);
  }
  return data as T;
}

/** Where a stored artifact downloads from (a GET: the login cookie authenticates it). */
export function artifactUrl(name: string, key: string): string {
  return url('runs', name, 'artifacts') + '/' + key.split('/').map(encodeURIComponent).join('/');
}

/** One page of the runs list under a filter (``GET runs?offset&limit&...``, built by ``runsQuery``). */
export function listRunsPage(filter: IRunsFilter, offset: number, limit: number): Promise<IRunsPage> {
  return request<IRunsPage>(['runs'], {}, runsQuery(filter, offset, limit));
}

export function getRun(name: string): Promise<IWorkflow> {
  return request<IWorkflow>(['runs', name]);
}

export function submit(yaml: string, filename?: string, parameters?: Record<string, string>): Promise<IWorkflow> {
  return request<IWorkflow>(['runs'], {
    method: 'POST',
    body: JSON.stringify({ yaml, filename, parameters })
  });
}

export async function lint(yaml: string, filename?: string): Promise<ILintError[]> {
  return (
    await request<{ errors: ILintError[] }>(['lint'], {
      method: 'POST',
      body: JSON.stringify({ yaml, filename })
    })
  ).errors;
}

export function action(name: string, verb: string, body: any = {}): Promise<{ name: string }> {
  if (verb === 'delete' && !isPathSafe(name)) {
    // a run an older version stored as "." or "..": no URL path can carry that name
    return request<{ name: string }>(['runs'], { method: 'DELETE' }, `?name=${encodeURIComponent(name)}`);
  }
  return request<{ name: string }>(['runs', name, verb], {
    method: 'POST',
    body: JSON.stringify(body)
  });
}

export interface ILogChunk extends ILogRange {
  /** the log file's size when read */
  size: number;
  finished: boolean;
}

/** A range of a node's log: ``length`` bytes from ``offset``, or (with ``tail``) its last ``tail``
 * bytes; the server cuts it at whole characters and says where it starts and ends. */
export function readLog(
  name: string,
  node: string,
  range: { offset?: number; length?: number; tail?: number } = {}
): Promise<ILogChunk> {
  const query = Object.entries(range)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${Math.floor(Number(v))}`)
    .join('&');
  return request<ILogChunk>(['runs', name, 'nodes', node, 'log'], {}, query ? `?${query}` : '');
}

/**
 * Follow a node's log over the server's SSE stream from ``offset`` (or its last ``tail`` bytes);
 * ``onChunk`` gets each piece with the byte range it covers. Resolves with how the stream ended:
 * ``end`` (the node finished and everything was sent), ``budget`` (the server sent what one
 * request may: follow again from the last offset), or ``closed``; or when ``signal`` aborts.
 */
export async function followLog(
  name: string,
  node: string,
  onChunk: (chunk: ILogRange) => void,
  signal: AbortSignal,
  from: { offset?: number; tail?: number } = {}
): Promise<'end' | 'budget' | 'closed'> {
  const s = settings();
  const query = from.tail !== undefined ? `&tail=${Math.floor(from.tail)}` : `&offset=${Math.floor(from.offset ?? 0)}`;
  const response = await ServerConnection.makeRequest(
    url('runs', name, 'nodes', node, 'log') + '?follow=1' + query,
    { signal, headers: { Accept: 'text/event-stream' } },
    s
  );
  if (!response.ok || !response.body) {
    throw new ApiError(response.status, response.statusText);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return 'closed';
    }
    for (const ev of parser.feed(decoder.decode(value, { stream: true }))) {
      if (ev.event === 'log') {
        const data = JSON.parse(ev.data);
        onChunk({ text: String(data.text), start: Number(data.start), offset: Number(data.offset) });
      } else if (ev.event === 'end' || ev.event === 'budget') {
        reader.cancel().catch(() => undefined);
        return ev.event;
      }
    }
  }
}

/** ``GET compare?runs=A,B``: runs side by side (``jupyter_flow.compare``), every string in it run data. */
export interface IComparedValue {
  name: string;
  values: unknown[];
  differs: boolean;
}

export interface ICompareArtifactDiff {
  kind: string;
  diff?: string;
  note?: string;
  columns_added?: string[];
  columns_removed?: string[];
  rows?: number[];
  changes?: { row: number; column: string; a: string; b: string; delta: number | null }[];
  truncated?: boolean;
}

export interface ICompareArtifact {
  name: string;
  kind: string;
  differs: boolean;
  diffs: (ICompareArtifactDiff | null)[];
  images: (string | null)[] | null;
}

export interface ICompareNode {
  path: string;
  type: string;
  phases: (string | null)[];
  durations: (number | null)[];
  outputs: IComparedValue[];
  artifacts: ICompareArtifact[];
  differs: string[];
}

export interface IComparison {
  runs: { name: string; phase: string; duration: number | null }[];
  params: IComparedValue[];
  nodes: ICompareNode[];
  metrics: (IComparedValue & { node: string; labels: (Record<string, string> | null)[] })[];
  plots: Record<string, any>;
}

export function compare(names: string[]): Promise<IComparison> {
  return request<IComparison>(['compare'], {}, `?runs=${encodeURIComponent(names.join(','))}`);
}

/** The code of a cell that reproduces a node in a kernel (``jupyter_flow.debug``). */
export function debugCode(name: string, node: string): Promise<{ code: string; node: string }> {
  return request<{ code: string; node: string }>(['runs', name, 'nodes', node, 'debug']);
}

/** A run's picture (``GET runs/NAME/graph``): grouped elements with positions and the stylesheet,
 * from the one Python source the notebook widget draws too (``jupyter_flow/picture``). */
export interface IRunPicture {
  wf: IWorkflow; // without its nodes, except the one asked for with ``node``
  graph: { nodes: any[]; edges: any[] };
  style: any[];
  found: string | null;
  total: number;
  /** a Suspend step waits for its resume (Argo UI's isWorkflowSuspended over all the nodes) */
  suspended?: boolean;
}

export function getPicture(
  name: string,
  opts: { open?: string[]; reveal?: string[]; find?: string; node?: string | null } = {}
): Promise<IRunPicture> {
  const q = new URLSearchParams();
  for (const g of opts.open ?? []) {
    q.append('open', g);
  }
  for (const r of opts.reveal ?? []) {
    q.append('reveal', r);
  }
  if (opts.find) {
    q.append('find', opts.find);
  }
  if (opts.node) {
    q.append('node', opts.node);
  }
  const query = q.toString();
  return request<IRunPicture>(['runs', name, 'graph'], {}, query ? `?${query}` : '');
}
