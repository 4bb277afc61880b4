/** The notebook DAG widget's messages and how a patch updates the model's state (pure: jest-tested). */
export interface IElement {
  data: { id: string; [k: string]: unknown };
  classes?: string;
  position?: { x: number; y: number };
}

export interface IGraph {
  rev?: number;
  nodes: IElement[];
  edges: IElement[];
}

export interface IPatch {
  type: 'patch';
  nodes: { [id: string]: { classes?: string; data?: IElement['data'] } };
}

/** Merge a patch into a graph in place (the model's state stays the current picture). */
export function applyPatch(graph: IGraph, patch: IPatch, index?: Map<string, IElement>): Map<string, IElement> {
  const byId = index ?? new Map(graph.nodes.map(n => [n.data.id, n]));
  for (const [id, change] of Object.entries(patch.nodes)) {
    const node = byId.get(id);
    if (!node) {
      continue;
    }
    if (change.classes !== undefined) {
      node.classes = change.classes;
    }
    if (change.data !== undefined) {
      node.data = change.data;
    }
  }
  return byId;
}
