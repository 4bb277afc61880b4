import { applyPatch, IGraph } from '../src/dagpatch';

function graph(): IGraph {
  return {
    rev: 1,
    nodes: [
      { data: { id: 'a', label: 'a' }, classes: 'Pod Pending', position: { x: 0, y: 0 } },
      { data: { id: 'b', label: 'b' }, classes: 'Pod Pending', position: { x: 0, y: 62 } }
    ],
    edges: [{ data: { id: 'a->b', source: 'a', target: 'b' }, classes: 'directed' }]
  };
}

describe('applyPatch', () => {
  it('updates classes and data of the named nodes in place and keeps positions', () => {
    const g = graph();
    applyPatch(g, { type: 'patch', nodes: { a: { classes: 'Pod Succeeded' }, b: { data: { id: 'b', label: 'b2' } } } });
    expect(g.nodes[0].classes).toBe('Pod Succeeded');
    expect(g.nodes[0].position).toEqual({ x: 0, y: 0 });
    expect(g.nodes[1].classes).toBe('Pod Pending');
    expect(g.nodes[1].data.label).toBe('b2');
  });

  it('ignores unknown ids and reuses the index it returns', () => {
    const g = graph();
    const index = applyPatch(g, { type: 'patch', nodes: { zzz: { classes: 'Pod Failed' } } });
    expect(g.nodes.map(n => n.classes)).toEqual(['Pod Pending', 'Pod Pending']);
    applyPatch(g, { type: 'patch', nodes: { b: { classes: 'Pod Failed' } } }, index);
    expect(g.nodes[1].classes).toBe('Pod Failed');
  });
});
