/** The left-sidebar "Workflows" panel: every run in the store, live. */
import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import * as api from './api';
import {
  allowedActions,
  durationOf,
  filterRuns,
  formatAge,
  formatDuration,
  IRunSummary,
  isFinished,
  phaseColor,
  phaseIcon,
  PHASES
} from './model';

const ACTIONS: [string, string][] = [
  ['resume', 'Resume'],
  ['stop', 'Stop'],
  ['retry', 'Retry'],
  ['delete', 'Delete']
];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (cls) {
    node.className = cls;
  }
  if (text !== undefined) {
    node.textContent = text; // never innerHTML: names and messages are user data
  }
  return node;
}

export class RunsPanel extends Widget {
  private runs: IRunSummary[] = [];
  private phase: string | null = null;
  private timer: number | undefined;
  private list: HTMLElement;
  private status: HTMLElement;
  private busy = false;
  private selected = new Set<string>();
  private compareButton: HTMLButtonElement;
  /** Called with the runs ticked in the panel when Compare is pressed (two or more). */
  onCompare: ((names: string[]) => void) | null = null;

  constructor(
    private readonly openRun: (name: string) => void,
    private readonly submitSelected: () => Promise<void>,
    private readonly interval = 1500
  ) {
    super();
    this.id = 'jupyter-flow-runs';
    this.addClass('jf-RunsPanel');
    this.title.caption = 'Workflows';

    const header = el('div', 'jf-RunsPanel-header');
    header.appendChild(el('span', 'jf-RunsPanel-title', 'Workflows'));
    const filter = el('select', 'jf-RunsPanel-filter');
    filter.setAttribute('aria-label', 'Filter by phase');
    filter.appendChild(new Option('All phases', ''));
    for (const p of PHASES) {
      filter.appendChild(new Option(p, p));
    }
    filter.addEventListener('change', () => {
      this.phase = filter.value || null;
      this.render();
    });
    header.appendChild(filter);
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

    this.status = el('div', 'jf-RunsPanel-status');
    this.node.appendChild(this.status);
    this.list = el('ul', 'jf-RunsPanel-list');
    this.node.appendChild(this.list);
  }

  protected onAfterAttach(): void {
    void this.refresh();
    this.timer = window.setInterval(() => void this.refresh(), this.interval);
  }

  protected onBeforeDetach(): void {
    window.clearInterval(this.timer);
  }

  dispose(): void {
    window.clearInterval(this.timer);
    super.dispose();
  }

  async refresh(): Promise<void> {
    if (this.busy) {
      return;
    }
    this.busy = true;
    try {
      this.runs = await api.listRuns();
      this.status.textContent = '';
    } catch (error) {
      this.status.textContent = `Cannot list runs: ${(error as Error).message}`;
    } finally {
      this.busy = false;
    }
    this.render();
  }

  private render(): void {
    const present = new Set(this.runs.map(r => r.name));
    for (const name of [...this.selected]) {
      if (!present.has(name)) {
        this.selected.delete(name); // deleted runs leave the selection
      }
    }
    this.compareButton.disabled = this.selected.size < 2;
    const runs = filterRuns(this.runs, this.phase);
    this.list.replaceChildren();
    if (!runs.length) {
      this.list.appendChild(el('li', 'jf-RunsPanel-empty', this.runs.length ? 'No run in this phase' : 'No runs yet'));
      return;
    }
    for (const run of runs) {
      this.list.appendChild(this.row(run));
    }
  }

  private row(run: IRunSummary): HTMLElement {
    const li = el('li', 'jf-RunRow');
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
      this.compareButton.disabled = this.selected.size < 2;
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
    meta.appendChild(el('span', 'jf-RunRow-phase', run.phase));
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
    if (verb === 'delete') {
      const answer = await showDialog({
        title: 'Delete workflow',
        body: `Delete ${name} and its logs?`,
        buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
      });
      if (!answer.button.accept) {
        return;
      }
    }
    try {
      await api.action(name, verb);
    } catch (error) {
      await showErrorMessage(`Could not ${verb} ${name}`, (error as Error).message);
    }
    await this.refresh();
  }
}
