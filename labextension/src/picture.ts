/**
 * What the notebook widget's DAG (dagwidget.ts) and the lab's run view (runview.ts) share to draw a
 * run's picture. The picture itself (which nodes, grouped how, where, styled how) comes whole from
 * Python (`jupyter_flow/picture`): the widget's model or `GET runs/NAME/graph`. Here: the cytoscape
 * options for big pictures, the search box and how a found node is brought into view.
 */
import type { Core, CytoscapeOptions } from 'cytoscape';

/** Past this many elements, draw cheaper while the user pans or zooms. */
export const BIG = 2000;

/** Rendering options by size: a big picture draws a texture during pan/zoom instead of every element. */
export function renderOptions(elements: number): Partial<CytoscapeOptions> {
  const big = elements > BIG;
  return {
    textureOnViewport: big,
    hideEdgesOnViewport: big,
    motionBlur: false,
    pixelRatio: big ? 1 : 'auto'
  } as Partial<CytoscapeOptions>;
}

/** A search box: Enter asks for a node by name or phase (`onFind`); the answer focuses it. */
export function findBox(onFind: (query: string) => void): HTMLInputElement {
  const input = document.createElement('input');
  input.type = 'search';
  input.className = 'jf-find';
  input.placeholder = 'find a node (name or phase)';
  input.title = 'Find a node by name or phase; its group opens and the graph centres on it';
  input.addEventListener('keydown', ev => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      ev.stopPropagation(); // not the notebook's shortcut
      const q = input.value.trim();
      if (q) {
        onFind(q);
      }
    }
  });
  return input;
}

/** Centre `id` at a readable zoom (at least `readable`, its label drawn) and select it. */
export function focusNode(cy: Core, id: string, readable = 1): boolean {
  const node = cy.getElementById(id);
  if (node.empty()) {
    return false;
  }
  cy.zoom(Math.max(cy.zoom(), Math.min(readable, cy.maxZoom())));
  cy.center(node);
  cy.$(':selected').unselect();
  node.select();
  return true;
}

/** Whether a tapped node is a group (its click opens it rather than selecting it). */
export function isGroup(classes: string | undefined): boolean {
  return (classes ?? '').split(/\s+/).includes('Group');
}
