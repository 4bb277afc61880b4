/** Calls to the server extension (``<base>/jupyter-flow/api/``), with Jupyter's auth. */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { ILintError, IRunSummary, IWorkflow, SseParser } from './model';

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

export async function listRuns(phase?: string | null): Promise<IRunSummary[]> {
  const query = phase ? `?phase=${encodeURIComponent(phase)}` : '';
  return (await request<{ runs: IRunSummary[] }>(['runs'], {}, query)).runs;
}

export function getRun(name: string): Promise<IWorkflow> {
  return request<IWorkflow>(['runs', name]);
}

export function submit(
  yaml: string,
  filename?: string,
  parameters?: Record<string, string>
): Promise<IWorkflow> {
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
  return request<{ name: string }>(['runs', name, verb], {
    method: 'POST',
    body: JSON.stringify(body)
  });
}

export interface ILogChunk {
  text: string;
  offset: number;
  finished: boolean;
}

export function readLog(name: string, node: string, offset = 0): Promise<ILogChunk> {
  return request<ILogChunk>(['runs', name, 'nodes', node, 'log'], {}, `?offset=${offset}`);
}

/**
 * Follow a node's log over the server's SSE stream; ``onText`` gets each new piece of text.
 * Resolves when the node finishes or ``signal`` aborts.
 */
export async function followLog(
  name: string,
  node: string,
  onText: (text: string) => void,
  signal: AbortSignal
): Promise<void> {
  const s = settings();
  const response = await ServerConnection.makeRequest(
    url('runs', name, 'nodes', node, 'log') + '?follow=1',
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
      return;
    }
    for (const ev of parser.feed(decoder.decode(value, { stream: true }))) {
      if (ev.event === 'log') {
        onText(JSON.parse(ev.data).text);
      } else if (ev.event === 'end') {
        reader.cancel().catch(() => undefined);
        return;
      }
    }
  }
}
