/**
 * Make a cytoscape graph hold exactly a given set of nodes and edges, by id: what is new is
 * added, what is there is updated in place (data, classes, and the position when one is given),
 * and what is gone is removed (a retried run drops the nodes of its failed attempt).
 *
 * Shared by the notebook DAG widget (dagwidget.ts) and the runs panel (runview.ts), so both show
 * the same picture of the same run.
 */
import type { Core } from 'cytoscape';

import type { IElement } from './dagpatch';

/** Returns whether nodes or edges were added or removed (the caller may want to lay out again). */
export function syncElements(cy: Core, nodes: IElement[], edges: IElement[]): boolean {
  const want = new Set<string>();
  let changed = false;
  cy.batch(() => {
    for (const n of nodes) {
      want.add(n.data.id);
      const ele = cy.getElementById(n.data.id);
      if (ele.empty()) {
        cy.add({ group: 'nodes', data: { ...n.data }, classes: n.classes, position: n.position });
        changed = true;
        continue;
      }
      ele.data({ ...n.data });
      ele.classes(n.classes ?? '');
      if (n.position) {
        ele.position(n.position);
      }
    }
    for (const e of edges) {
      want.add(e.data.id);
      if (cy.getElementById(e.data.id).empty()) {
        cy.add({ group: 'edges', data: { ...e.data }, classes: e.classes });
        changed = true;
      }
    }
    const gone = cy.elements().filter(ele => !want.has(ele.id()));
    if (gone.nonempty()) {
      gone.remove();
      changed = true;
    }
  });
  return changed;
}
