import { layeredPositions } from '../src/layout';

// a 41-node DAG laid out by jupyter_flow.notebook.graph.layered_positions
// (tests/labextension/test_jest.py checks the fixture still matches the Python layout)
import * as raw from './layout.fixture.json';

interface IFixture {
  ids: string[];
  edges: Array<[string, string]>;
  labels: Record<string, string>;
  positions: Record<string, { x: number; y: number }>;
}
const fixture = raw as unknown as IFixture;

const labelWidth = (label: string): number => Math.min(Math.max(label.length, 1) * 6.6, 160) + 2 + 18;

describe('layeredPositions', () => {
  it('draws a chain straight down and a diamond with its middle on one rank', () => {
    const chain = layeredPositions(
      ['a', 'b', 'c'],
      [
        ['a', 'b'],
        ['b', 'c']
      ],
      () => 30
    );
    expect([chain.get('a')!.y, chain.get('b')!.y, chain.get('c')!.y]).toEqual([0, 62, 124]);
    expect(new Set([chain.get('a')!.x, chain.get('b')!.x, chain.get('c')!.x]).size).toBe(1);
    const d = layeredPositions(
      ['a', 'b', 'c', 'd'],
      [
        ['a', 'b'],
        ['a', 'c'],
        ['b', 'd'],
        ['c', 'd']
      ],
      () => 30
    );
    expect(d.get('b')!.y).toBe(d.get('c')!.y);
    expect(Math.abs(d.get('b')!.x - d.get('c')!.x)).toBeGreaterThanOrEqual(30 + 18);
    expect(d.get('d')!.y).toBeGreaterThan(d.get('b')!.y);
  });

  it('places every node as the kernel widget does (same algorithm as graph.layered_positions)', () => {
    const pos = layeredPositions(fixture.ids, fixture.edges, id => labelWidth(fixture.labels[id]));
    for (const id of fixture.ids) {
      expect(Math.abs(pos.get(id)!.x - fixture.positions[id].x)).toBeLessThanOrEqual(0.11);
      expect(pos.get(id)!.y).toBe(fixture.positions[id].y);
    }
  });

  it('never overlaps two nodes of a rank and survives a cycle', () => {
    const pos = layeredPositions(fixture.ids, fixture.edges, id => labelWidth(fixture.labels[id]));
    const byRank = new Map<number, string[]>();
    for (const id of fixture.ids) {
      byRank.set(pos.get(id)!.y, [...(byRank.get(pos.get(id)!.y) ?? []), id]);
    }
    for (const ids of byRank.values()) {
      ids.sort((a, b) => pos.get(a)!.x - pos.get(b)!.x);
      for (let k = 1; k < ids.length; k++) {
        const gap = pos.get(ids[k])!.x - pos.get(ids[k - 1])!.x;
        const half = (labelWidth(fixture.labels[ids[k]]) + labelWidth(fixture.labels[ids[k - 1]])) / 2;
        expect(gap).toBeGreaterThanOrEqual(half + 17.9);
      }
    }
    const cyc = layeredPositions(
      ['a', 'b'],
      [
        ['a', 'b'],
        ['b', 'a']
      ],
      () => 10
    );
    expect(cyc.size).toBe(2);
  });
});
