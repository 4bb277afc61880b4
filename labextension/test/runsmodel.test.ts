import { IRunsFilter, IRunsPage, IRunSummary, NO_FILTER } from '../src/model';
import { RunsModel } from '../src/runsmodel';

/** A fake server of ``n`` runs (phases cycling), answering pages as GET runs does. */
function server(n: number) {
  const calls: { filter: IRunsFilter; offset: number; limit: number }[] = [];
  const state = { n, fail: '' };
  const all = (): IRunSummary[] =>
    Array.from({ length: state.n }, (_, i) => ({
      name: `run-${state.n - 1 - i}`,
      phase: ['Succeeded', 'Failed', 'Running'][i % 3]
    }));
  const fetch = async (filter: IRunsFilter, offset: number, limit: number): Promise<IRunsPage> => {
    calls.push({ filter, offset, limit });
    if (state.fail) {
      throw new Error(state.fail);
    }
    const runs = all().filter(r => !filter.phase || r.phase === filter.phase);
    return { runs: runs.slice(offset, offset + limit), total: runs.length, offset, limit, counts: {} };
  };
  return { calls, state, fetch };
}

const models: { dispose(): void }[] = [];
function track<T extends { dispose(): void }>(model: T): T {
  models.push(model);
  return model;
}
afterEach(() => models.splice(0).forEach(m => m.dispose()));

const settle = () => new Promise(resolve => setTimeout(resolve, 20));

describe('RunsModel', () => {
  it('reads only the pages of the rows in view, and tells views', async () => {
    const s = server(10000);
    const model = track(new RunsModel(s.fetch, { interval: 60000, pageSize: 100 }));
    let changes = 0;
    model.changed.connect(() => changes++);
    model.active = true;
    await settle();
    expect(s.calls.map(c => c.offset)).toEqual([0]);
    expect(model.total).toBe(10000);
    expect(model.row(0)?.name).toBe('run-9999');
    expect(changes).toBeGreaterThan(0);
    model.setWindow(4995, 5016);
    await settle();
    expect(
      s.calls
        .map(c => c.offset)
        .slice(1)
        .sort()
    ).toEqual([4900, 5000]);
    expect(model.row(5000)?.name).toBe('run-4999');
    expect(model.row(7000)).toBeUndefined();
    // the same window again asks for nothing
    model.setWindow(4995, 5016);
    await settle();
    expect(s.calls.length).toBe(3);
    model.dispose();
  });

  it('a new filter drops the rows and an answer to the old filter is ignored', async () => {
    const s = server(300);
    const model = track(new RunsModel(s.fetch, { interval: 60000, pageSize: 100 }));
    model.active = true;
    await settle();
    model.setFilter({ ...NO_FILTER, phase: 'Failed' });
    expect(model.total).toBe(-1);
    expect(model.row(0)).toBeUndefined();
    await settle();
    expect(model.total).toBe(100);
    expect(model.row(0)?.phase).toBe('Failed');
    expect(s.calls[s.calls.length - 1].filter.phase).toBe('Failed');
    model.dispose();
  });

  it('polls while active: a new run shows up; standing by while inactive', async () => {
    const s = server(5);
    const model = track(new RunsModel(s.fetch, { interval: 30, pageSize: 100 }));
    model.active = true;
    await settle();
    s.state.n = 6;
    await new Promise(resolve => setTimeout(resolve, 120));
    expect(model.total).toBe(6);
    expect(model.row(0)?.name).toBe('run-5');
    model.active = false;
    await settle();
    const before = s.calls.length;
    await new Promise(resolve => setTimeout(resolve, 150));
    expect(s.calls.length).toBe(before);
    model.dispose();
  });

  it('reports a failing server and recovers', async () => {
    const s = server(5);
    const model = track(new RunsModel(s.fetch, { interval: 30, pageSize: 100 }));
    s.state.fail = 'boom';
    model.active = true;
    await settle();
    expect(model.error).toBe('boom');
    s.state.fail = '';
    await model.refresh();
    await settle();
    expect(model.error).toBe('');
    expect(model.total).toBe(5);
    model.dispose();
  });
});
