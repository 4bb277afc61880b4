/**
 * The notebook's run DAG as one widget model (`jupyter_flow.notebook.dagmodel.DagRenderer`).
 *
 * Why not ipycytoscape: it opens a widget model per node and per edge, so a 1,000-node DAG
 * was 2,550 `comm_open` messages (~3 s before the page had them all) and every phase change
 * its own message. Here the whole graph (elements with kernel-computed positions, classes and
 * the stylesheet) is one model: one message to draw it, one `patch` message per kernel flush
 * for any number of phase changes. The model keeps patches in its state, so a second view of
 * the same output (or a notebook saved with widget state) draws the current phases.
 *
 * Kernel -> page: `graph` = {rev, nodes: [{data, classes, position}], edges: [{data, classes}]}
 * (structure: the view diffs by id and keeps the user's zoom once they have moved the graph),
 * custom message {type: 'patch', nodes: {id: {classes?, data?}}}. Page -> kernel:
 * {event: 'ready'} once the model exists (the kernel's only proof that this page has the
 * extension: without it the kernel draws the graph as a picture instead) and
 * {event: 'click', id}. Tooltips are set as the `title` attribute (text, never HTML).
 * Kernel -> page {type: 'insert-cell', code}: the node panel's "Debug in notebook" asks for a new
 * code cell, below the cell whose output shows this graph (one cell, however many views).
 *
 * Big runs: the kernel groups loop fan-outs and sub-DAGs (`jupyter_flow/picture/groups.py`) into
 * `Group` nodes drawn as a pie of their members' phases; a click on one reaches the kernel like any
 * click and comes back as a new `graph` with the group opened. The search box sends
 * {event: 'search', query}; the kernel opens the groups of the node it finds and answers
 * {type: 'focus', id} after the new structure: the view centres on it.
 */
import { DOMWidgetModel, DOMWidgetView, ISerializers } from '@jupyter-widgets/base';
import cytoscape from 'cytoscape';

import { syncElements } from './cysync';
import { applyPatch, IElement, IGraph, IPatch } from './dagpatch';
import { insertNear } from './debugcell';
import { fitCapped } from './fitzoom';
import { findBox, focusNode, renderOptions } from './picture';

export const MODULE_NAME = 'jupyter-flow';
export const MODULE_VERSION = '0.1.0';

export class DagModel extends DOMWidgetModel {
  private index: Map<string, IElement> | null = null;
  /** The elements of this model's views, to find the cell a new cell goes below. */
  readonly viewElements = new Set<HTMLElement>();

  defaults(): any {
    return {
      ...super.defaults(),
      _model_name: 'DagModel',
      _view_name: 'DagView',
      _model_module: MODULE_NAME,
      _view_module: MODULE_NAME,
      _model_module_version: MODULE_VERSION,
      _view_module_version: MODULE_VERSION,
      graph: { rev: 0, nodes: [], edges: [] },
      cy_style: [],
      min_zoom: 0.05,
      max_zoom: 3,
      fit_max_zoom: 1.25
    };
  }

  static serializers: ISerializers = { ...DOMWidgetModel.serializers };

  initialize(attributes: any, options: any): void {
    super.initialize(attributes, options);
    // no-op without a kernel (a notebook's saved widget state): send() needs the model's comm
    this.send({ event: 'ready' }, {});
    this.on('change:graph', () => (this.index = null));
    this.on('msg:custom', (msg: IPatch) => {
      if (msg && msg.type === 'patch') {
        this.index = applyPatch(this.get('graph') as IGraph, msg, this.index ?? undefined);
        this.trigger('jf:patch', msg);
      } else if (msg && (msg as any).type === 'focus' && typeof (msg as any).id === 'string') {
        this.trigger('jf:focus', (msg as any).id);
      } else if (msg && (msg as any).type === 'insert-cell' && typeof (msg as any).code === 'string') {
        const shown = Array.from(this.viewElements).find(e => document.contains(e));
        if (shown) {
          insertNear(shown, (msg as any).code);
        }
      }
    });
  }
}

export class DagView extends DOMWidgetView {
  cy: cytoscape.Core | null = null;
  private box!: HTMLDivElement;
  private userMoved = false;

  render(): void {
    this.el.classList.add('jf-dag');
    (this.model as DagModel).viewElements?.add(this.el);
    const find = findBox(query => this.send({ event: 'search', query }));
    find.classList.add('jf-dag-find');
    this.el.appendChild(find);
    this.box = document.createElement('div');
    this.box.className = 'jf-dag-canvas';
    this.el.appendChild(this.box);
    this.listenTo(this.model, 'change:graph', () => this.syncGraph());
    this.listenTo(this.model, 'change:cy_style', () => this.cy?.style(this.model.get('cy_style')));
    this.listenTo(this.model, 'jf:patch', (msg: IPatch) => this.patch(msg));
    this.listenTo(this.model, 'jf:focus', (id: string) => {
      if (this.cy && focusNode(this.cy, id)) {
        this.userMoved = true; // keep the found node in view on the next structural change
      }
    });
    // cytoscape measures its container: start once the output is in the page
    void this.displayed.then(() => this.start());
  }

  private start(): void {
    if (this.cy) {
      return;
    }
    const graph = this.model.get('graph') as IGraph;
    const cy = cytoscape({
      container: this.box,
      elements: [...graph.nodes, ...graph.edges].map(e => ({ ...e, data: { ...e.data } })),
      style: this.model.get('cy_style'),
      layout: { name: 'preset', fit: false },
      minZoom: this.model.get('min_zoom'),
      maxZoom: this.model.get('max_zoom'),
      boxSelectionEnabled: false,
      autoungrabify: true,
      ...renderOptions(graph.nodes.length + graph.edges.length)
    });
    cy.on('tap', 'node', evt => this.send({ event: 'click', id: evt.target.id() }));
    cy.on('mouseover', 'node', evt => {
      this.box.title = String(evt.target.data('tip') ?? '');
    });
    cy.on('mouseout', 'node', () => {
      this.box.title = '';
    });
    cy.on('scrollzoom pinchzoom dragpan', () => (this.userMoved = true));
    this.cy = cy;
    this.fit();
  }

  /** Fit the graph in the area, never zooming in past the model's `fit_max_zoom`. */
  private fit(): void {
    if (this.cy) {
      fitCapped(this.cy, 12, Number(this.model.get('fit_max_zoom')) || 0);
    }
  }

  /** A structural change: add, remove and move elements by id; refit unless the user moved. */
  private syncGraph(): void {
    const cy = this.cy;
    if (!cy) {
      return;
    }
    const graph = this.model.get('graph') as IGraph;
    syncElements(cy, graph.nodes, graph.edges);
    if (!this.userMoved) {
      this.fit();
    }
  }

  /** Phase changes: classes and data of existing nodes, in one batch (no relayout). */
  private patch(msg: IPatch): void {
    const cy = this.cy;
    if (!cy) {
      return; // start() reads the patched model state
    }
    cy.batch(() => {
      for (const [id, change] of Object.entries(msg.nodes)) {
        const ele = cy.getElementById(id);
        if (ele.empty()) {
          continue;
        }
        if (change.classes !== undefined) {
          ele.classes(change.classes);
        }
        if (change.data !== undefined) {
          ele.data({ ...change.data });
        }
      }
    });
  }

  processLuminoMessage(msg: any): void {
    super.processLuminoMessage(msg);
    if (msg.type === 'resize' || msg.type === 'after-show' || msg.type === 'after-attach') {
      const cy = this.cy;
      if (cy && this.box.clientWidth && this.box.clientHeight) {
        cy.resize();
        if (!this.userMoved) {
          this.fit();
        }
      }
    }
  }

  remove(): void {
    (this.model as DagModel).viewElements?.delete(this.el);
    this.cy?.destroy();
    this.cy = null;
    super.remove();
  }
}
