import cytoscape from 'cytoscape';

import { syncElements } from '../src/cysync';

const node = (id: string, classes = 'Pending', position?: { x: number; y: number }) => ({
  data: { id, label: id },
  classes,
  position
});
const edge = (a: string, b: string) => ({ data: { id: `${a}->${b}`, source: a, target: b } });

describe('syncElements', () => {
  it('adds, updates in place and removes by id, and says when the structure changed', () => {
    const cy = cytoscape({ headless: true });
    expect(syncElements(cy, [node('a'), node('b', 'Running', { x: 5, y: 6 })], [edge('a', 'b')])).toBe(true);
    expect(cy.nodes().map(n => n.id())).toEqual(['a', 'b']);
    expect(cy.getElementById('b').position()).toEqual({ x: 5, y: 6 });

    // only phases changed: same elements, new classes and data, no structural change
    const before = cy.getElementById('a');
    expect(syncElements(cy, [node('a', 'Succeeded'), node('b', 'Running')], [edge('a', 'b')])).toBe(false);
    expect(cy.getElementById('a')).toBe(before);
    expect(cy.getElementById('a').hasClass('Succeeded')).toBe(true);
    expect(cy.getElementById('a').hasClass('Pending')).toBe(false);
    expect(cy.getElementById('b').position()).toEqual({ x: 5, y: 6 }); // no position given: kept

    // a retry replaced b by c: b and its edge go, c and its edge come
    expect(syncElements(cy, [node('a', 'Succeeded'), node('c')], [edge('a', 'c')])).toBe(true);
    expect(
      cy
        .nodes()
        .map(n => n.id())
        .sort()
    ).toEqual(['a', 'c']);
    expect(cy.edges().map(e => e.id())).toEqual(['a->c']);
  });
});
