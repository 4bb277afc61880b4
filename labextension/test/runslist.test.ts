import {
  allowedActions,
  isSuspended,
  IWorkflow,
  localDayStart,
  NO_FILTER,
  pagesOf,
  runsQuery,
  visibleRange
} from '../src/model';

describe('allowedActions (Argo UI workflow-operations-map)', () => {
  it('resumes a suspended run and does not suspend it again', () => {
    const a = allowedActions({ phase: 'Running', suspended: true });
    expect(a.has('resume')).toBe(true);
    expect(a.has('suspend')).toBe(false);
    expect(a.has('stop') && a.has('terminate')).toBe(true);
  });
  it('suspends a running run that is not suspended, and offers no resume', () => {
    const a = allowedActions({ phase: 'Running', suspended: false });
    expect(a.has('suspend')).toBe(true);
    expect(a.has('resume')).toBe(false);
  });
  it('offers no running action to a finished or pending run, whatever its flag', () => {
    for (const phase of ['Succeeded', 'Failed', 'Error', 'Pending']) {
      const a = allowedActions({ phase, suspended: true });
      expect(['resume', 'suspend', 'stop', 'terminate'].filter(v => a.has(v))).toEqual([]);
      expect(a.has('delete') && a.has('resubmit')).toBe(true);
    }
    expect(allowedActions({ phase: 'Error' }).has('retry')).toBe(true);
  });
});

describe('isSuspended (Argo UI isWorkflowSuspended)', () => {
  const wf = (extra: Partial<IWorkflow>): IWorkflow => ({ metadata: { name: 'x' }, ...extra });
  it('is spec.suspend, status.suspended, or a Suspend node running', () => {
    expect(isSuspended(wf({ spec: { suspend: true }, status: { phase: 'Running' } }))).toBe(true);
    expect(isSuspended(wf({ status: { phase: 'Running', suspended: true } }))).toBe(true);
    const node = (phase: string) => ({ id: 'a', name: 'x.a', displayName: 'a', type: 'Suspend', phase });
    expect(isSuspended(wf({ status: { phase: 'Running', nodes: { a: node('Running') } } }))).toBe(true);
    expect(isSuspended(wf({ status: { phase: 'Running', nodes: { a: node('Succeeded') } } }))).toBe(false);
    expect(isSuspended(wf({ status: { phase: 'Running' } }))).toBe(false);
  });
});

describe('virtual list window', () => {
  it('holds the rows in view plus the overscan, within the total', () => {
    expect(visibleRange(0, 600, 60, 10000, 5)).toEqual([0, 16]);
    // scrolled to row 5000: rows 4995 .. 5016
    expect(visibleRange(5000 * 60, 600, 60, 10000, 5)).toEqual([4995, 5016]);
    expect(visibleRange(10000 * 60, 600, 60, 10000, 5)).toEqual([9994, 10000]);
    expect(visibleRange(0, 600, 60, 3, 5)).toEqual([0, 3]);
    expect(visibleRange(0, 600, 60, 0, 5)).toEqual([0, 0]);
  });
  it('maps rows to the pages that hold them', () => {
    expect(pagesOf(0, 16, 100)).toEqual([0]);
    expect(pagesOf(95, 116, 100)).toEqual([0, 1]);
    expect(pagesOf(4995, 5016, 100)).toEqual([49, 50]);
    expect(pagesOf(5, 5, 100)).toEqual([]);
  });
});

describe('runsQuery', () => {
  it('sends only the filters that are set, encoded', () => {
    expect(runsQuery(NO_FILTER, 200, 100)).toBe('?offset=200&limit=100');
    const q = runsQuery({ phase: 'Failed', label: ' team=nlp,!tmp ', prefix: 'a&b', since: '', until: '' }, 0, 50);
    expect(q).toBe('?offset=0&limit=50&phase=Failed&label=team%3Dnlp%2C!tmp&prefix=a%26b');
  });
  it('turns local days into instants, the until day included whole', () => {
    const q = new URLSearchParams(runsQuery({ ...NO_FILTER, since: '2026-12-01', until: '2026-12-07' }, 0, 10));
    expect(q.get('since')).toBe(new Date(2026, 11, 1).toISOString());
    expect(q.get('until')).toBe(new Date(2026, 11, 8).toISOString());
    expect(localDayStart('yesterday')).toBe('');
  });
});
