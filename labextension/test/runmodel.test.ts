import { IWorkflow } from '../src/model';
import { RunModel } from '../src/runmodel';

function run(phase: string): IWorkflow {
  return { metadata: { name: 'r' }, status: { phase } };
}

const models: { dispose(): void }[] = [];
function track<T extends { dispose(): void }>(model: T): T {
  models.push(model);
  return model;
}
afterEach(() => models.splice(0).forEach(m => m.dispose()));

const wait = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('RunModel', () => {
  it('follows a run until it finishes, then stops reading it; follow() starts again', async () => {
    const phases = ['Running', 'Running', 'Failed'];
    let reads = 0;
    const model = track(new RunModel('r', async () => run(phases[Math.min(reads++, phases.length - 1)]), 20));
    const seen: string[] = [];
    model.changed.connect((_, wf) => seen.push(wf.status!.phase!));
    await model.follow();
    await wait(200);
    expect(seen).toEqual(['Running', 'Running', 'Failed']);
    expect(model.following).toBe(false);
    const after = reads;
    await wait(100);
    expect(reads).toBe(after);
    // a retry: the run runs again and is followed again
    phases.push('Running', 'Succeeded');
    reads = 3;
    await model.follow();
    await wait(200);
    expect(seen.slice(3)).toEqual(['Running', 'Succeeded']);
    expect(model.following).toBe(false);
    model.dispose();
  });

  it('stops on 404 (deleted) and tells the view', async () => {
    let reads = 0;
    const model = track(
      new RunModel(
        'r',
        async () => {
          reads++;
          throw Object.assign(new Error('not found'), { status: 404 });
        },
        20
      )
    );
    const errors: (number | undefined)[] = [];
    model.failed.connect((_, e) => errors.push(e.status));
    await model.follow();
    await wait(150);
    expect(errors).toEqual([404]);
    expect(reads).toBe(1);
    expect(model.following).toBe(false);
    model.dispose();
  });

  it('never reads two at once: a slow server is not asked again until it answers', async () => {
    let inflight = 0;
    let most = 0;
    const model = track(
      new RunModel(
        'r',
        async () => {
          inflight++;
          most = Math.max(most, inflight);
          await wait(80);
          inflight--;
          return run('Running');
        },
        10
      )
    );
    await model.follow();
    await wait(300);
    void model.refresh();
    void model.refresh();
    await wait(200);
    expect(most).toBe(1);
    model.dispose();
  });
});
