/**
 * The Compare tab: runs picked in the Workflows panel, side by side (``GET compare?runs=``).
 *
 * Every string in the comparison came from a run, so it goes into the page as ``textContent``
 * only (diffs in ``<pre>``), never ``innerHTML``; an image is set only from a verified raster
 * ``data:`` URI. The Vega-Lite plots are drawn by JupyterLab's own renderer for
 * ``application/vnd.vegalite.v5+json`` (the vega5 extension) through the rendermime registry.
 */
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';

import * as api from './api';
import { el } from './dom';
import { compareText, formatDuration, safeImageUri } from './model';

const VEGALITE = 'application/vnd.vegalite.v5+json';
const PLOT_TITLES: [string, string][] = [
  ['scatter', 'Metric against parameters'],
  ['parallel', 'Parallel coordinates'],
  ['durations', 'Duration per node']
];

function table(cls: string, header: string[], rows: string[][]): HTMLTableElement {
  const t = el('table', `jf-CompareView-table ${cls}`);
  const head = el('tr');
  for (const h of header) {
    head.appendChild(el('th', undefined, h));
  }
  t.appendChild(head);
  for (const row of rows) {
    const tr = el('tr');
    for (const cell of row) {
      tr.appendChild(el('td', undefined, cell));
    }
    t.appendChild(tr);
  }
  return t;
}

let counter = 0;

export class CompareView extends Widget {
  readonly names: string[];

  constructor(
    names: string[],
    private readonly rendermime: IRenderMimeRegistry | null
  ) {
    super();
    this.names = names;
    this.id = `jupyter-flow-compare-${++counter}`;
    this.addClass('jf-CompareView');
    this.title.label = `Compare ${names.length} runs`;
    this.title.caption = names.join(', ');
    this.title.closable = true;
    this.node.appendChild(el('div', 'jf-CompareView-status', 'Loading\u2026'));
    void this.load();
  }

  private async load(): Promise<void> {
    let data: api.IComparison;
    try {
      data = await api.compare(this.names);
    } catch (error) {
      this.node.replaceChildren(
        el('div', 'jf-CompareView-status jf-CompareView-error', `Cannot compare: ${(error as Error).message}`)
      );
      return;
    }
    this.render(data);
  }

  private section(title: string, cls: string): HTMLElement {
    const s = el('section', `jf-CompareView-section ${cls}`);
    s.appendChild(el('h3', undefined, title));
    this.node.appendChild(s);
    return s;
  }

  render(data: api.IComparison): void {
    this.node.replaceChildren();
    const names = data.runs.map(r => r.name);
    this.section('Runs', 'jf-CompareView-runs').appendChild(
      table(
        '',
        ['run', 'phase', 'duration'],
        data.runs.map(r => [r.name, r.phase, formatDuration(r.duration)])
      )
    );

    const params = data.params.filter(p => p.differs);
    const ps = this.section('Parameters that differ', 'jf-CompareView-params');
    ps.appendChild(
      params.length
        ? table(
            '',
            ['parameter', ...names],
            params.map(p => [p.name, ...p.values.map(compareText)])
          )
        : el('div', 'jf-CompareView-none', 'Every parameter is the same.')
    );

    const nodes = data.nodes.filter(n => n.differs.length);
    const ns = this.section('Nodes that differ', 'jf-CompareView-nodes');
    const rows: string[][] = [];
    for (const n of nodes) {
      rows.push([
        n.path,
        n.differs.join(', '),
        ...n.phases.map((p, i) => `${p ?? 'missing'} ${formatDuration(n.durations[i])}`)
      ]);
      for (const o of n.outputs.filter(o => o.differs)) {
        rows.push(['', o.name, ...o.values.map(compareText)]);
      }
    }
    ns.appendChild(
      rows.length
        ? table('', ['node', 'differs in', ...names], rows)
        : el('div', 'jf-CompareView-none', 'No node differs.')
    );

    const as = this.section('Artifacts that differ', 'jf-CompareView-artifacts');
    let shown = 0;
    for (const n of data.nodes) {
      for (const a of n.artifacts.filter(a => a.differs)) {
        shown++;
        as.appendChild(el('h4', undefined, `${n.path} \u2192 ${a.name} (${a.kind})`));
        if (a.images) {
          const row = el('div', 'jf-CompareView-images');
          a.images.forEach((uri, i) => {
            const cell = el('figure');
            const safe = safeImageUri(uri);
            if (safe) {
              const img = el('img');
              img.src = safe;
              img.alt = '';
              cell.appendChild(img);
            } else {
              cell.appendChild(el('i', undefined, 'not shown'));
            }
            cell.appendChild(el('figcaption', undefined, names[i]));
            row.appendChild(cell);
          });
          as.appendChild(row);
          continue;
        }
        a.diffs.forEach((d, i) => {
          if (!d) {
            return;
          }
          as.appendChild(el('div', 'jf-CompareView-pair', `${names[0]} \u2192 ${names[i]}`));
          if (d.kind === 'csv') {
            as.appendChild(
              el(
                'div',
                'jf-CompareView-pair',
                `rows ${d.rows?.[0]} \u2192 ${d.rows?.[1]}` +
                  (d.columns_added?.length ? `; columns added: ${d.columns_added.join(', ')}` : '') +
                  (d.columns_removed?.length ? `; columns removed: ${d.columns_removed.join(', ')}` : '') +
                  (d.truncated ? '; (cut)' : '')
              )
            );
            as.appendChild(
              table(
                'jf-CompareView-csv',
                ['row', 'column', 'was', 'is', '\u0394'],
                (d.changes ?? []).map(c => [String(c.row), c.column, c.a, c.b, compareText(c.delta)])
              )
            );
          } else if (d.diff !== undefined) {
            as.appendChild(el('pre', 'jf-CompareView-diff', d.diff));
          } else {
            as.appendChild(el('i', undefined, d.note ?? ''));
          }
        });
      }
    }
    if (!shown) {
      as.appendChild(el('div', 'jf-CompareView-none', 'No artifact differs.'));
    }

    const ms = this.section('Metrics', 'jf-CompareView-metrics');
    ms.appendChild(
      data.metrics.length
        ? table(
            '',
            ['metric', 'node', ...names],
            data.metrics.map(m => [m.name, m.node || '(workflow)', ...m.values.map(compareText)])
          )
        : el('div', 'jf-CompareView-none', 'No metrics recorded.')
    );

    const plots = this.section('Plots', 'jf-CompareView-plots');
    for (const [kind, title] of PLOT_TITLES) {
      const spec = data.plots?.[kind];
      if (!spec) {
        continue;
      }
      const box = el('div', `jf-CompareView-plot jf-plot-${kind}`);
      box.appendChild(el('h4', undefined, title));
      plots.appendChild(box);
      void this.plot(box, spec);
    }
  }

  private async plot(box: HTMLElement, spec: any): Promise<void> {
    if (!this.rendermime || !this.rendermime.mimeTypes.includes(VEGALITE)) {
      box.appendChild(el('i', undefined, 'This JupyterLab has no Vega-Lite renderer.'));
      return;
    }
    const renderer = this.rendermime.createRenderer(VEGALITE);
    box.appendChild(renderer.node);
    try {
      await renderer.renderModel(new MimeModel({ data: { [VEGALITE]: spec }, trusted: false }));
    } catch (error) {
      box.appendChild(el('i', undefined, `Plot failed: ${(error as Error).message}`));
    }
  }
}
