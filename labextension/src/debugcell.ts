/**
 * "Debug in notebook": a node's reproduction (``jupyter_flow.debug``, computed by the server or
 * the kernel) becomes a new code cell below a notebook cell. The code is set as the cell's source
 * (text, never HTML) and is not run: the user reads it first.
 */
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';

/** Insert ``code`` as a code cell below cell ``index`` (default: the active cell) of ``panel``. */
export function insertCodeBelow(panel: NotebookPanel, code: string, index?: number): void {
  const notebook = panel.content;
  if (index !== undefined && index >= 0 && index < notebook.widgets.length) {
    notebook.activeCellIndex = index;
  }
  NotebookActions.insertBelow(notebook);
  if (notebook.activeCell?.model.type !== 'code') {
    NotebookActions.changeCellType(notebook, 'code');
  }
  notebook.activeCell?.model.sharedModel.setSource(code);
}

/** The notebook and the index of the cell whose output holds ``el`` (a widget's view), if any. */
export function cellOf(tracker: INotebookTracker, el: HTMLElement): [NotebookPanel, number] | null {
  const panel = tracker.find(p => p.node.contains(el));
  if (!panel) {
    return null;
  }
  const index = panel.content.widgets.findIndex(c => c.node.contains(el));
  return index < 0 ? null : [panel, index];
}

type Inserter = (el: HTMLElement, code: string) => void;
let inserter: Inserter | null = null;

/** Set by the plugin that has the notebook tracker; used by the notebook widget's DAG model. */
export function setCellInserter(fn: Inserter | null): void {
  inserter = fn;
}

export function insertNear(el: HTMLElement, code: string): boolean {
  if (!inserter) {
    return false;
  }
  inserter(el, code);
  return true;
}
