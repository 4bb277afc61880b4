/**
 * The left-sidebar "Workflows" panel: every run in the store, live, at any number of runs.
 *
 * The list is virtual: the server filters and pages (``RunsModel``), and only the rows in view
 * (plus a few) exist in the DOM, absolutely placed in a spacer as tall as all the rows, so 10,000
 * runs cost what 30 do. Filters: phase (with counts), name prefix, label selector, creation days.
 */
import { Widget } from '@lumino/widgets';

import { runAction } from './actions';
import * as api from './api';
import { el } from './dom';
import {
  allowedActions,
  durationOf,
  formatAge,
  formatDuration,
  IRunsFilter,
  IRunSummary,
  isFinished,
  NO_FILTER,
  phaseColor,
  phaseIcon,
  PHASES,
  visibleRange
} from './model';
import { PageFetcher, RunsModel } from './runsmodel';

const ACTIONS: [string, string][] = [
  ['resume', 'Resume'],
  ['stop', 'Stop'],
  ['retry', 'Retry'],
  ['delete', 'Delete']
];

/** Pixels per row: fixed, so a row's place is its index times this (no measuring). */
export const ROW_HEIGHT = 62;
const OVERSCAN = 6;
const TYPING_DELAY = 250;

export class RunsPanel extends Widget {
  readonly model: RunsModel;
  private list: HTMLElement;
  private spacer: HTMLElement;
  private status: HTMLElement;
  private empty: HTMLElement;
  private phaseSelect: HTMLSelectElement;
  private inputs: Record<'prefix' | 'label' | 'since' | 'until', HTMLInputElement>;
  private rows = new Map<number, { node: HTMLElement; key: string }>();
  private selected = new Set<string>();
  private compareButton: HTMLButtonElement;
  private frame = 0;
  private typing: number | undefined;
  /** Called with the runs ticked in the panel when Compare is pressed (two or more). */
  onCompare: ((names: string[]) => void) | null = null;

  constructor(
    private readonly openRun: (name: string) => void,
    private readonly submitSelected: () => Promise<void>,
    interval = 1500,
    fetchPage: PageFetcher = api.listRunsPage
  ) {
    super();
    this.id = 'jupyter-flow-runs';
    this.addClass('jf-RunsPanel');
    this.title.caption = 'Workflows';
    this.model = new RunsModel(fetchPage, { interval });
    this.model.changed.connect(() => this.schedule(), this);

    const header = el('div', 'jf-RunsPanel-header');
    header.appendChild(el('span', 'jf-RunsPanel-title', 'Workflows'));
    this.phaseSelect = el('select', 'jf-RunsPanel-filter');
    this.phaseSelect.setAttribute('aria-label', 'Filter by phase');
    this.phaseSelect.appendChild(new Option('All phases', ''));
    for (const p of PHASES) {
      this.phaseSelect.appendChild(new Option(p, p));
    }
    this.phaseSelect.addEventListener('change', () => this.applyFilter());
    header.appendChild(this.phaseSelect);
    const submit = el('button', 'jp-Button jf-RunsPanel-submit', 'Submit');
    submit.title = 'Submit the selected YAML file as a workflow';
    submit.addEventListener('click', () => void this.submitSelected());
    header.appendChild(submit);
    this.compareButton = el('button', 'jp-Button jf-RunsPanel-compare', 'Compare');
    this.compareButton.title = 'Compare the runs ticked below (two or more; the first ticked is the baseline)';
    this.compareButton.disabled = true;
    this.compareButton.addEventListener('click', () => {
      const names = [...this.selected]; // in the order ticked: the first is the baseline
      if (names.length >= 2 && this.onCompare) {
        this.onCompare(names);
      }
    });
    header.appendChild(this.compareButton);
    const refresh = el('button', 'jp-Button jf-RunsPanel-refresh', '⟳');
    refresh.title = 'Refresh';
    refresh.addEventListener('click', () => void this.refresh());
    header.appendChild(refresh);
    this.node.appendChild(header);

    const filters = el('div', 'jf-RunsPanel-filters');
    const input = (cls: string, type: string, placeholder: string, label: string): HTMLInputElement => {
      const i = el('input', `jf-RunsPanel-${cls}`);
      i.type = type;
      i.placeholder = placeholder;
      i.setAttribute('aria-label', label);
      i.title = label;
      i.addEventListener('input', () => this.typed());
      i.addEventListener('change', () => this.applyFilter());
      filters.appendChild(i);
      return i;
    };
    this.inputs = {
      prefix: input('prefix', 'search', 'Name starts with', 'Filter by the start of the name'),
      label: input('label', 'search', 'Labels: team=nlp,!tmp', 'Filter by labels (a label selector, as argo list -l)'),
      since: input('since', 'date', '', 'Created on or after this day'),
      until: input('until', 'date', '', 'Created on or before this day')
    };
    this.node.appendChild(filters);

    this.status = el('div', 'jf-RunsPanel-status');
    this.node.appendChild(this.status);
    // the scrolling box; inside it the spacer (a list as tall as every row) holds the rows in view
    this.list = el('div', 'jf-RunsPanel-list');
    this.list.dataset.rowHeight = String(ROW_HEIGHT);
    this.spacer = el('ul', 'jf-RunsPanel-spacer');
    this.list.appendChild(this.spacer);
    this.empty = el('li', 'jf-RunsPanel-empty');
    this.list.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.node.appendChild(this.list);
  }

  /** The filter the controls show. */
  get filter(): IRunsFilter {
    return {
      phase: this.phaseSelect.value,
      prefix: this.inputs.prefix.value,
      label: this.inputs.label.value,
      since: this.inputs.since.value,
      until: this.inputs.until.value
    };
  }

  protected onAfterAttach(): void {
    this.model.active = true;
    this.schedule();
  }

  protected onBeforeDetach(): void {
    this.model.active = false;
  }

  protected onAfterShow(): void {
    this.schedule();
  }

  protected onResize(): void {
    this.schedule();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    cancelAnimationFrame(this.frame);
    window.clearTimeout(this.typing);
    this.model.dispose();
    super.dispose();
  }

  /** Read the runs in view again now (after a submit or an action). */
  refresh(): Promise<void> {
    return this.model.refresh();
  }

  private typed(): void {
    window.clearTimeout(this.typing);
    this.typing = window.setTimeout(() => this.applyFilter(), TYPING_DELAY);
  }

  private applyFilter(): void {
    window.clearTimeout(this.typing);
    const before = this.model.filter;
    const now = { ...NO_FILTER, ...this.filter };
    if ((Object.keys(NO_FILTER) as (keyof IRunsFilter)[]).some(k => before[k] !== now[k])) {
      this.list.scrollTop = 0;
      this.model.setFilter(now);
    }
  }

  /** Draw on the next frame (scrolls, resizes and answers coalesce into one render). */
  private schedule(): void {
    if (!this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.render();
      });
    }
  }

  private render(): void {
    const model = this.model;
    const total = Math.max(0, model.total);
    this.node.dataset.total = String(model.total);
    this.status.textContent = model.error ? `Cannot list runs: ${model.error}` : '';
    this.compareButton.disabled = this.selected.size < 2;
    this.compareButton.textContent = this.selected.size ? `Compare (${this.selected.size})` : 'Compare';
    this.updatePhaseCounts();
    this.spacer.style.height = `${total * ROW_HEIGHT}px`;
    const [start, end] = visibleRange(this.list.scrollTop, this.list.clientHeight || 600, ROW_HEIGHT, total, OVERSCAN);
    model.setWindow(start, end);
    if (model.total === 0) {
      const filtered = (Object.keys(NO_FILTER) as (keyof IRunsFilter)[]).some(k => model.filter[k].trim());
      this.empty.textContent = filtered ? 'No run matches the filter' : 'No runs yet';
      if (!this.empty.isConnected) {
        this.spacer.appendChild(this.empty);
      }
    } else {
      this.empty.remove();
    }
    for (const [index, row] of [...this.rows]) {
      if (index < start || index >= end) {
        row.node.remove();
        this.rows.delete(index);
      }
    }
    for (let i = start; i < end; i++) {
      const run = model.row(i);
      const existing = this.rows.get(i);
      if (!run) {
        if (existing && existing.key !== '') {
          existing.node.remove();
          this.rows.delete(i); // its page is being read again
        }
        if (!this.rows.has(i)) {
          const placeholder = el('li', 'jf-RunRow-loading', '…');
          this.place(placeholder, i);
          this.rows.set(i, { node: placeholder, key: '' });
          this.spacer.appendChild(placeholder);
        }
        continue;
      }
      const key = this.rowKey(run);
      if (existing && existing.key === key) {
        continue;
      }
      const node = this.row(run, i);
      if (existing) {
        existing.node.replaceWith(node);
      } else {
        this.spacer.appendChild(node);
      }
      this.rows.set(i, { node, key });
    }
  }

  private updatePhaseCounts(): void {
    const counts = this.model.counts;
    const all = Object.values(counts).reduce((a, b) => a + b, 0);
    for (const option of Array.from(this.phaseSelect.options)) {
      const base = option.value || 'All phases';
      const n = option.value ? (counts[option.value] ?? 0) : all;
      const text = this.model.total < 0 ? base : `${base} (${n})`;
      if (option.text !== text) {
        option.text = text;
      }
    }
  }

  /** What a row shows: it is rebuilt only when this changes. */
  private rowKey(run: IRunSummary): string {
    return JSON.stringify([
      run.name,
      run.phase,
      run.message,
      run.progress,
      run.suspended,
      run.startedAt,
      run.finishedAt,
      formatAge(run.startedAt || run.createdAt),
      isFinished(run.phase) ? run.duration : Math.floor((durationOf(run.startedAt, run.finishedAt) ?? 0) / 5),
      this.selected.has(run.name)
    ]);
  }

  private place(node: HTMLElement, index: number): void {
    node.dataset.index = String(index);
    node.style.top = `${index * ROW_HEIGHT}px`;
    node.style.height = `${ROW_HEIGHT}px`;
  }

  private row(run: IRunSummary, index: number): HTMLElement {
    const li = el('li', 'jf-RunRow');
    this.place(li, index);
    li.dataset.name = run.name;
    li.dataset.phase = run.phase;
    li.title = run.message ? `${run.phase}: ${run.message}` : run.phase;
    const check = el('input', 'jf-RunRow-check');
    check.type = 'checkbox';
    check.checked = this.selected.has(run.name);
    check.setAttribute('aria-label', `Select ${run.name} to compare`);
    check.addEventListener('click', ev => ev.stopPropagation());
    check.addEventListener('change', () => {
      if (check.checked) {
        this.selected.add(run.name);
      } else {
        this.selected.delete(run.name);
      }
      this.schedule();
    });
    li.appendChild(check);
    const icon = el('span', 'jf-RunRow-icon', phaseIcon(run.phase));
    icon.style.color = phaseColor(run.phase);
    li.appendChild(icon);
    const main = el('div', 'jf-RunRow-main');
    const name = el('a', 'jf-RunRow-name', run.name);
    name.href = '#';
    name.addEventListener('click', ev => {
      ev.preventDefault();
      this.openRun(run.name);
    });
    main.appendChild(name);
    const duration = isFinished(run.phase) ? run.duration : (durationOf(run.startedAt, run.finishedAt) ?? run.duration);
    const meta = el('div', 'jf-RunRow-meta');
    meta.appendChild(el('span', 'jf-RunRow-phase', run.suspended ? `${run.phase} (suspended)` : run.phase));
    meta.appendChild(el('span', 'jf-RunRow-start', formatAge(run.startedAt || run.createdAt)));
    meta.appendChild(el('span', 'jf-RunRow-duration', formatDuration(duration)));
    meta.appendChild(el('span', 'jf-RunRow-progress', run.progress || ''));
    main.appendChild(meta);
    li.appendChild(main);

    const actions = el('div', 'jf-RunRow-actions');
    const allowed = allowedActions(run);
    for (const [verb, label] of ACTIONS) {
      const b = el('button', `jp-Button jf-RunRow-action jf-action-${verb}`, label);
      b.disabled = !allowed.has(verb);
      b.addEventListener('click', ev => {
        ev.stopPropagation();
        void this.act(run.name, verb);
      });
      actions.appendChild(b);
    }
    li.appendChild(actions);
    li.addEventListener('dblclick', () => this.openRun(run.name));
    return li;
  }

  private async act(name: string, verb: string): Promise<void> {
    const done = await runAction(name, verb);
    if (done && verb === 'delete') {
      this.selected.delete(name); // a deleted run leaves the selection
    }
    await this.refresh();
  }
}
