/**
 * One run in a main-area tab: its picture (cytoscape), live, and a node panel with the log.
 *
 * The picture comes whole from the server (`GET runs/NAME/graph`, `jupyter_flow/picture`): the
 * elements grouped as the notebook widget groups them (loop fan-outs and sub-DAGs as `Group` nodes
 * with a pie of their phases), their positions and the stylesheet, so both show the same picture.
 * A click on a group opens it (`open=`), the search box finds a node by name or phase (`find=`;
 * later polls keep it drawn with `reveal=`), and only the selected node's status is sent (`node=`).
 */
import { showErrorMessage } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import cytoscape from 'cytoscape';

import { runAction } from './actions';
import * as api from './api';
import { syncElements } from './cysync';
import { el } from './dom';
import { formatBytes, ILogRange, LOG_EARLIER_BYTES, LogTail } from './logtail';
import {
  allowedActions,
  durationOf,
  formatDuration,
  INodeStatus,
  isFinished,
  isSuspended,
  IWorkflow,
  phaseColor,
  phaseIcon
} from './model';
import { findBox, focusNode, isGroup, renderOptions } from './picture';
import { IRunError, RunModel } from './runmodel';

/** One reading of the run for this view: its picture, and the search it answered (if any). */
interface IReading {
  pic: api.IRunPicture;
  finding: string | null;
}

const ACTIONS = ['resume', 'suspend', 'stop', 'terminate', 'retry', 'resubmit', 'delete'];

export class RunView extends Widget {
  private cy: cytoscape.Core | null = null;
  private wf: IWorkflow | null = null;
  /** The run, read live by a Poll (``RunModel``); this view draws each reading. */
  readonly model: RunModel<IReading>;
  private selected: string | null = null;
  private logAbort: AbortController | null = null;
  private logNode: string | null = null;
  private header: HTMLElement;
  private graph: HTMLElement;
  private side: HTMLElement;
  private toolbar: HTMLElement;
  private picture: api.IRunPicture | null = null;
  private opened: string[] = []; // group clicks, in order (each opens a page more of that group)
  private revealed: string[] = []; // nodes a search found: kept drawn
  private finding: string | null = null;
  private userMoved = false;

  constructor(
    readonly runName: string,
    private readonly onOpen: (name: string) => void,
    interval = 1000,
    private readonly onDebug: ((code: string) => void) | null = null
  ) {
    super();
    this.addClass('jf-RunView');
    this.id = `jupyter-flow-run-${runName}`;
    this.title.label = runName;
    this.title.closable = true;
    this.model = new RunModel<IReading>(
      runName,
      () => this.read(),
      interval,
      r => isFinished(r.pic.wf.status?.phase)
    );
    this.model.changed.connect((_, r) => this.applyReading(r), this);
    this.model.failed.connect((_, e) => this.showError(e), this);
    this.toolbar = el('div', 'jf-RunView-toolbar');
    this.header = el('div', 'jf-RunView-header');
    this.toolbar.appendChild(this.header);
    const buttons = el('div', 'jf-RunView-actions');
    for (const verb of ACTIONS) {
      const b = el('button', `jp-Button jf-action-${verb}`, verb.toUpperCase());
      b.dataset.verb = verb;
      b.addEventListener('click', () => void this.act(verb));
      buttons.appendChild(b);
    }
    this.toolbar.appendChild(buttons);
    this.node.appendChild(this.toolbar);
    const body = el('div', 'jf-RunView-body');
    this.graph = el('div', 'jf-RunView-graph');
    this.side = el('div', 'jf-NodePanel');
    this.graph.appendChild(findBox(q => void this.find(q)));
    this.showHint();
    body.appendChild(this.graph);
    body.appendChild(this.side);
    this.node.appendChild(body);
  }

  protected onAfterAttach(): void {
    void this.model.follow();
  }

  protected onResize(): void {
    this.fitGraph();
  }

  protected onAfterShow(): void {
    this.fitGraph();
  }

  /** After a size change (or when a tab drawn while hidden is shown): resize and fit. */
  private fitGraph(): void {
    const cy = this.cy;
    if (!cy || !this.graph.clientWidth || !this.graph.clientHeight) {
      return;
    }
    cy.resize();
    cy.fit(undefined, 30);
    if (cy.zoom() > 1.2) {
      cy.zoom(1.2);
      cy.center();
    }
  }

  dispose(): void {
    this.model.dispose();
    this.logAbort?.abort();
    this.cy?.destroy();
    super.dispose();
  }

  /** Read the run again now (after a click, a search or an action); a reading already out is
   * let finish first. Reading goes on until the run finishes. */
  refresh(): Promise<void> {
    return this.model.refresh();
  }

  /** The model's reading: the picture for what this view shows (groups opened, nodes found,
   * the selected node), and the search it answers. */
  private async read(): Promise<IReading> {
    const finding = this.finding;
    this.finding = null;
    const pic = await api.getPicture(this.runName, {
      open: this.opened,
      reveal: this.revealed,
      find: finding ?? undefined,
      node: this.selected
    });
    return { pic, finding };
  }

  private applyReading({ pic, finding }: IReading): void {
    this.picture = pic;
    this.applyRun(pic.wf);
    if (finding !== null) {
      this.found(finding, pic.found);
    }
  }

  private showError(e: IRunError): void {
    this.header.textContent = e.status === 404 ? `${this.runName}: deleted` : `${this.runName}: ${e.message}`;
  }

  private applyRun(wf: IWorkflow): void {
    this.wf = wf;
    const status = wf.status ?? {};
    const phase = status.phase || 'Pending';
    this.header.replaceChildren();
    const icon = el('span', 'jf-RunView-icon', phaseIcon(phase));
    icon.style.color = phaseColor(phase);
    this.header.appendChild(icon);
    this.header.appendChild(el('span', 'jf-RunView-name', wf.metadata.name));
    this.header.appendChild(el('span', 'jf-RunView-phase', phase));
    this.header.appendChild(
      el(
        'span',
        'jf-RunView-meta',
        `${status.progress || ''}  ${formatDuration(durationOf(status.startedAt, status.finishedAt))}`
      )
    );
    if (status.message) {
      this.header.appendChild(el('span', 'jf-RunView-message', status.message));
    }
    this.node.dataset.phase = phase;
    // Argo's isWorkflowSuspended: the picture says whether a Suspend step waits (its nodes are not sent)
    const allowed = allowedActions({ phase, suspended: isSuspended(wf) || !!this.picture?.suspended });
    for (const b of Array.from(this.toolbar.querySelectorAll('button'))) {
      (b as HTMLButtonElement).disabled = !allowed.has((b as HTMLElement).dataset.verb || '');
    }
    this.draw(wf);
    if (this.selected) {
      this.showNode(this.selected, false);
    }
  }

  /** Draw the server's picture: elements by id (added, updated, removed), positions included. */
  private draw(_wf: IWorkflow): void {
    const pic = this.picture;
    if (!pic) {
      return;
    }
    const { nodes, edges } = pic.graph;
    if (!this.cy) {
      this.cy = cytoscape({
        container: this.graph,
        elements: [...nodes.map(n => ({ group: 'nodes', ...n })), ...edges.map(e => ({ group: 'edges', ...e }))],
        style: pic.style,
        layout: { name: 'preset', fit: false },
        minZoom: 0.02,
        maxZoom: 2.5,
        boxSelectionEnabled: false,
        autoungrabify: true,
        ...renderOptions(nodes.length + edges.length)
      });
      this.cy.on('tap', 'node', ev => this.tapped(ev.target.id(), ev.target.classes().join(' ')));
      this.cy.on('mouseover', 'node', ev => {
        this.graph.title = String(ev.target.data('tip') ?? '');
      });
      this.cy.on('scrollzoom pinchzoom dragpan', () => (this.userMoved = true));
      this.fitGraph();
      return;
    }
    const cy = this.cy;
    const changed = syncElements(cy, nodes, edges);
    if (changed && !this.userMoved) {
      this.fitGraph();
    }
    if (this.selected && cy.getElementById(this.selected).empty() && !pic.wf.status?.nodes?.[this.selected]) {
      this.selected = null; // its node went with the attempt it belonged to: so does its panel
      this.showHint();
    }
    if (this.selected) {
      cy.getElementById(this.selected).select();
    }
  }

  /** A click: a group opens (a page more of its members); any other node opens in the side panel. */
  private tapped(id: string, classes: string): void {
    if (isGroup(classes)) {
      this.opened.push(id);
    } else {
      this.selected = id;
      this.side.replaceChildren(); // the panel is built afresh for it
      this.logNode = null;
    }
    void this.refresh();
  }

  /** Ask the server for a node by name or phase; `found` then focuses it. */
  private async find(query: string): Promise<void> {
    this.finding = query;
    await this.refresh();
  }

  private found(query: string, id: string | null): void {
    this.graph.dataset.found = id ?? '';
    if (!id || !this.cy) {
      void showErrorMessage('Find a node', `No node named or in phase "${query}"`);
      return;
    }
    if (!this.revealed.includes(id)) {
      this.revealed.push(id);
    }
    focusNode(this.cy, id);
    this.userMoved = true;
    if (this.selected !== id) {
      this.tapped(id, '');
    }
  }

  /** Render the node panel; ``fresh`` when another node was clicked (restarts the log). */
  private showHint(): void {
    this.side.replaceChildren(el('div', 'jf-NodePanel-hint', 'Click a node to see its log, inputs and outputs.'));
    delete this.side.dataset.node;
  }

  private showNode(id: string, fresh: boolean): void {
    const node: INodeStatus | undefined = this.wf?.status?.nodes?.[id];
    if (!node) {
      return;
    }
    let summary = this.side.querySelector('.jf-NodePanel-summary') as HTMLElement | null;
    if (fresh || !summary) {
      this.side.replaceChildren();
      this.side.dataset.node = id;
      summary = el('div', 'jf-NodePanel-summary');
      this.side.appendChild(summary);
      if (node.type === 'Pod' && this.onDebug) {
        const debug = el('button', 'jp-Button jf-NodePanel-debug', 'Debug in notebook');
        debug.title = 'Insert a cell that reproduces this step below the active cell of the current notebook';
        debug.addEventListener('click', () => void this.debugNode(id));
        this.side.appendChild(debug);
      }
      this.side.appendChild(el('h3', 'jf-NodePanel-h', 'Inputs'));
      this.side.appendChild(el('pre', 'jf-NodePanel-inputs'));
      this.side.appendChild(el('h3', 'jf-NodePanel-h', 'Outputs'));
      this.side.appendChild(el('pre', 'jf-NodePanel-outputs'));
      this.side.appendChild(el('h3', 'jf-NodePanel-h', 'Log'));
      const earlier = el('button', 'jp-Button jf-NodePanel-log-earlier', 'Load earlier');
      earlier.hidden = true;
      this.side.appendChild(earlier);
      this.side.appendChild(el('pre', 'jf-NodePanel-log'));
    }
    summary.replaceChildren();
    const rows: [string, string][] = [
      ['NAME', node.displayName || node.name],
      ['ID', node.id],
      ['TYPE', node.type],
      ['PHASE', node.phase || 'Pending'],
      ['TEMPLATE', node.templateName || ''],
      ['START', node.startedAt || ''],
      ['END', node.finishedAt || ''],
      ['DURATION', formatDuration(durationOf(node.startedAt, node.finishedAt))],
      ['MESSAGE', node.message || '']
    ];
    const table = el('table', 'jf-NodePanel-table');
    for (const [k, v] of rows) {
      if (!v) {
        continue;
      }
      const tr = el('tr');
      tr.appendChild(el('th', undefined, k));
      tr.appendChild(el('td', undefined, v));
      table.appendChild(tr);
    }
    summary.appendChild(table);
    (this.side.querySelector('.jf-NodePanel-inputs') as HTMLElement).textContent = JSON.stringify(
      node.inputs ?? {},
      null,
      2
    );
    (this.side.querySelector('.jf-NodePanel-outputs') as HTMLElement).textContent = JSON.stringify(
      node.outputs ?? {},
      null,
      2
    );
    const links = Array.from(this.side.querySelectorAll('.jf-NodePanel-artifacts'));
    links.forEach(l => l.remove());
    const artifacts = (node.outputs?.artifacts ?? []).filter((a: any) => a?.local?.key);
    if (artifacts.length) {
      const list = el('ul', 'jf-NodePanel-artifacts');
      for (const a of artifacts) {
        const li = el('li');
        const link = el('a', undefined, `${a.name} (${a.path ?? a.local.key})`);
        link.href = api.artifactUrl(this.runName, String(a.local.key));
        link.setAttribute('download', String(a.name));
        li.appendChild(link);
        list.appendChild(li);
      }
      this.side.querySelector('.jf-NodePanel-outputs')?.after(list);
    }
    if (fresh || this.logNode !== id) {
      this.startLog(id);
    }
  }

  /** "Debug in notebook": the server writes the cell (``jupyter_flow.debug``), ``onDebug`` places it. */
  private async debugNode(id: string): Promise<void> {
    try {
      const { code } = await api.debugCode(this.runName, id);
      this.onDebug?.(code);
    } catch (error) {
      void showErrorMessage('Debug in notebook', (error as Error).message);
    }
  }

  /** Follow the node's log, keeping only its tail in the page (``LogTail``): a step that prints
   * gigabytes must not fill the DOM. "Load earlier" fetches the range before what is shown. */
  private startLog(id: string): void {
    this.logAbort?.abort();
    this.logNode = id;
    const pre = this.side.querySelector('.jf-NodePanel-log') as HTMLElement;
    const earlier = this.side.querySelector('.jf-NodePanel-log-earlier') as HTMLButtonElement;
    pre.textContent = '';
    delete pre.dataset.complete;
    earlier.hidden = true;
    const node = this.wf?.status?.nodes?.[id];
    if (!node || (node.type !== 'Pod' && node.type !== 'Retry')) {
      pre.textContent = '(no log: not a step)';
      return;
    }
    const abort = new AbortController();
    this.logAbort = abort;
    const tail = new LogTail();
    const show = () => {
      earlier.hidden = !tail.canLoadEarlier();
      earlier.textContent = `Load earlier (${formatBytes(tail.start)} not shown)`;
      pre.dataset.start = String(tail.start);
      pre.dataset.end = String(tail.end);
    };
    const onChunk = (chunk: ILogRange) => {
      if (abort.signal.aborted) {
        return;
      }
      const change = tail.append(chunk);
      if (change.reset) {
        pre.replaceChildren();
      }
      for (let i = 0; i < change.dropped; i++) {
        pre.firstChild?.remove();
      }
      // text only: a log line like <img src=x onerror=...> must stay text
      pre.appendChild(document.createTextNode(chunk.text));
      show();
    };
    earlier.onclick = async () => {
      const range = tail.earlierRange();
      if (!range || abort.signal.aborted) {
        return;
      }
      earlier.disabled = true;
      try {
        const chunk = await api.readLog(this.runName, id, range);
        if (!abort.signal.aborted && tail.prepend(chunk)) {
          pre.insertBefore(document.createTextNode(chunk.text), pre.firstChild);
        }
      } catch (error) {
        await showErrorMessage('Could not load the earlier log', (error as Error).message);
      } finally {
        earlier.disabled = false;
        show();
      }
    };
    const follow = async () => {
      let from: { offset?: number; tail?: number } = { tail: LOG_EARLIER_BYTES };
      for (;;) {
        const how = await api.followLog(this.runName, id, onChunk, abort.signal, from);
        if (how !== 'budget' || abort.signal.aborted) {
          return;
        }
        // the server's budget for one request is spent: follow again, a little later
        await new Promise(resolve => window.setTimeout(resolve, 1000));
        if (abort.signal.aborted) {
          return;
        }
        from = { offset: Math.max(0, tail.end) };
      }
    };
    follow()
      .catch(async error => {
        if (abort.signal.aborted) {
          return;
        }
        try {
          const chunk = await api.readLog(this.runName, id, { tail: LOG_EARLIER_BYTES });
          if (chunk.text) {
            onChunk(chunk);
          }
        } catch {
          pre.appendChild(document.createTextNode(`\n[log unavailable: ${(error as Error).message}]`));
        }
      })
      .finally(() => {
        if (!abort.signal.aborted) {
          pre.dataset.complete = 'true';
        }
      });
  }

  /** A toolbar action; delete asks first, as in the panel (``runAction``). */
  private async act(verb: string): Promise<void> {
    const result = await runAction(this.runName, verb);
    if (!result) {
      return; // cancelled, or it failed and the error was shown
    }
    if (verb === 'resubmit' && result.name) {
      this.onOpen(result.name);
    }
    if (verb === 'delete') {
      this.dispose();
      return;
    }
    // a retried (or resumed) run runs again: follow it again
    await this.model.follow();
  }
}
