import {
  compareText,
  safeImageUri,
  allowedActions,
  durationOf,
  formatDuration,
  formatLintError,
  isWorkflowCell,
  isPathSafe,
  phaseColor,
  phaseIcon,
  SseParser
} from '../src/model';

describe('formatting', () => {
  it('formats durations as Argo does', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59.9)).toBe('59s');
    expect(formatDuration(60)).toBe('1m');
    expect(formatDuration(192)).toBe('3m12s');
    expect(formatDuration(3720)).toBe('1h2m');
    expect(formatDuration(2 * 86400 + 3 * 3600)).toBe('2d3h');
    expect(formatDuration(null)).toBe('');
    expect(formatDuration(-1)).toBe('');
  });

  it('measures durations, live while running', () => {
    expect(durationOf('2024-01-01T00:00:00Z', '2024-01-01T00:01:30Z')).toBe(90);
    const now = Date.parse('2024-01-01T00:00:10Z') / 1000;
    expect(durationOf('2024-01-01T00:00:00Z', null, now)).toBe(10);
    expect(durationOf(null, null)).toBeNull();
  });

  it('uses Argo glyphs and colours', () => {
    expect(phaseIcon('Succeeded')).toBe('✔');
    expect(phaseIcon('Failed')).toBe('✖');
    expect(phaseIcon('Error')).toBe('⚠');
    expect(phaseIcon('Running', 'Suspend')).toBe('ǁ');
    expect(phaseColor('Succeeded')).toBe('#18be94');
    expect(phaseColor('Running')).toBe('#0dadea');
    expect(phaseColor(undefined)).toBe('#f4c030');
  });

  it('formats lint errors with line and column', () => {
    expect(formatLintError({ message: 'unknown field', path: 'spec.x', line: 3, column: 5 })).toBe(
      'line 3, col 5: spec.x: unknown field'
    );
    expect(formatLintError({ message: 'no workflow' })).toBe('document: no workflow');
  });
});

describe('runs', () => {
  it('offers the actions that make sense', () => {
    expect([...allowedActions({ phase: 'Running' })].sort()).toEqual(
      ['delete', 'resubmit', 'stop', 'suspend', 'terminate'].sort()
    );
    expect(allowedActions({ phase: 'Failed' }).has('retry')).toBe(true);
    expect(allowedActions({ phase: 'Succeeded' }).has('retry')).toBe(false);
    expect(allowedActions({ phase: 'Succeeded' }).has('stop')).toBe(false);
  });
});

describe('SseParser', () => {
  it('parses events split across chunks', () => {
    const p = new SseParser();
    expect(p.feed('id: 5\nevent: log\ndata: {"text":')).toEqual([]);
    expect(p.feed('"hi"}\n\n: keep-alive\n\nevent: end\r\ndata: {}\r\n\r\n')).toEqual([
      { event: 'log', data: '{"text":"hi"}', id: '5' },
      { event: 'end', data: '{}', id: undefined }
    ]);
  });
  it('joins multi-line data', () => {
    expect(new SseParser().feed('data: a\ndata: b\n\n')).toEqual([{ event: 'message', data: 'a\nb', id: undefined }]);
  });
});

describe('%%workflow cells', () => {
  it('recognises the magic on the first line only', () => {
    expect(isWorkflowCell('%%workflow\nkind: Workflow')).toBe(true);
    expect(isWorkflowCell('%%workflow -p a=b --wait\n')).toBe(true);
    expect(isWorkflowCell('%%workflow')).toBe(true);
    expect(isWorkflowCell('%%workflows\n')).toBe(false);
    expect(isWorkflowCell('print(1)\n%%workflow')).toBe(false);
    expect(isWorkflowCell('%%bash\n')).toBe(false);
  });
});

describe('isPathSafe', () => {
  it('refuses the names a URL resolves away, even percent-encoded', () => {
    for (const name of ['.', '..', '']) {
      expect(isPathSafe(name)).toBe(false);
    }
    // what the browser does with such a segment: the run's name is gone from the path
    expect(new URL('http://h/api/runs/%2E%2E/delete').pathname).toBe('/api/delete');
  });
  it('accepts other names, which encodeURIComponent keeps in one segment', () => {
    for (const name of ['hello-x7k2p', 'a.b', '/home/u/project', '../x']) {
      expect(isPathSafe(name)).toBe(true);
      const path = new URL(`http://h/api/runs/${encodeURIComponent(name)}/delete`).pathname;
      expect(decodeURIComponent(path.split('/')[3])).toBe(name);
    }
  });
});

describe('compare helpers', () => {
  it('lets only verified raster data: URIs be an image source', () => {
    expect(safeImageUri('data:image/png;base64,iVBORw0KGgo=')).toBe('data:image/png;base64,iVBORw0KGgo=');
    expect(safeImageUri('data:image/svg+xml;base64,PHN2Zz4=')).toBeNull();
    expect(safeImageUri('x" onerror="alert(1)')).toBeNull();
    expect(safeImageUri('https://evil.example/a.png')).toBeNull();
    expect(safeImageUri('data:image/png;base64,AA==" onload="x')).toBeNull();
    expect(safeImageUri(null)).toBeNull();
  });

  it('shows compared values as text', () => {
    expect(compareText(null)).toBe('\u2014');
    expect(compareText(0.123456)).toBe('0.1235');
    expect(compareText(3)).toBe('3');
    expect(compareText('<b>x</b>')).toBe('<b>x</b>');
    expect(compareText({ a: 1 })).toBe('{"a":1}');
  });
});
