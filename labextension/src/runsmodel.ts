/**
 * The runs list's data, for a virtual list of any length: the server filters and pages
 * (``GET runs?offset&limit&...``); this model keeps the pages around the rows in view, re-reads
 * them on a ``Poll`` (live: phases move, new runs appear, backing off while the server fails,
 * standing by while the page is hidden or the panel detached) and tells views through ``changed``.
 * No DOM here, so jest drives it with a fake server.
 */
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { IRunsFilter, IRunsPage, IRunSummary, NO_FILTER, pagesOf } from './model';
import { InFlight } from './inflight';

export type PageFetcher = (filter: IRunsFilter, offset: number, limit: number) => Promise<IRunsPage>;

export interface IRunsModelOptions {
  /** ms between live refreshes (default 1500) */
  interval?: number;
  /** rows per request (default 100) */
  pageSize?: number;
}

export class RunsModel implements IDisposable {
  readonly pageSize: number;
  private readonly _changed = new Signal<this, void>(this);
  private readonly poll: Poll;
  private pages = new Map<number, IRunSummary[]>();
  private loading = new Set<number>();
  private _filter: IRunsFilter = NO_FILTER;
  private _total = -1;
  private _counts: Record<string, number> = {};
  private _error = '';
  private generation = 0;
  private window: [number, number] = [0, 0];
  private _active = false;
  private _isDisposed = false;
  private readonly inflight = new InFlight();

  constructor(
    private readonly fetchPage: PageFetcher,
    options: IRunsModelOptions = {}
  ) {
    this.pageSize = options.pageSize ?? 100;
    this.window = [0, this.pageSize];
    const interval = options.interval ?? 1500;
    this.poll = new Poll({
      auto: false,
      factory: () => this.reload(),
      frequency: { interval, backoff: true, max: 30 * interval },
      name: 'jupyter-flow:runs',
      // nobody looks: no requests (the panel sets `active` when shown)
      standby: () => !this._active || 'when-hidden'
    });
  }

  /** Emitted after rows, the total or the error changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get filter(): IRunsFilter {
    return this._filter;
  }

  /** Runs matching the filter (-1 until the first answer). */
  get total(): number {
    return this._total;
  }

  /** Runs per phase under the filter's other conditions. */
  get counts(): Record<string, number> {
    return this._counts;
  }

  /** The last request's error message ('' when it succeeded). */
  get error(): string {
    return this._error;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Whether a view shows the list: the poll runs only then. */
  get active(): boolean {
    return this._active;
  }

  set active(value: boolean) {
    if (value === this._active) {
      return;
    }
    this._active = value;
    if (value) {
      if (this.poll.isDisposed) {
        return;
      }
      void this.refresh();
    }
  }

  /** Row ``index`` when its page is loaded. */
  row(index: number): IRunSummary | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  /** A new filter: rows are dropped and the first page is asked for at once. */
  setFilter(filter: IRunsFilter): void {
    const same = (Object.keys(NO_FILTER) as (keyof IRunsFilter)[]).every(k => filter[k] === this._filter[k]);
    if (same) {
      return;
    }
    this._filter = { ...filter };
    this.generation++;
    this.pages.clear();
    this.loading.clear();
    this._total = -1;
    this.window = [0, this.pageSize];
    this._changed.emit();
    void this.refresh();
  }

  /** The rows a view shows now (``[start, end)``): pages not loaded yet are asked for at once. */
  setWindow(start: number, end: number): void {
    this.window = [start, end];
    const missing = pagesOf(start, end, this.pageSize).filter(p => !this.pages.has(p) && !this.loading.has(p));
    if (missing.length) {
      void this.load(missing);
    }
  }

  /** Re-read the rows in view now (after an action, a submit), then go on polling; a reading
   * already under way is let finish first (one at a time: a slow server is not piled on). */
  async refresh(): Promise<void> {
    await this.inflight.settled();
    if (this.poll.isDisposed) {
      return;
    }
    return this.poll.state.phase === 'constructed' ? this.poll.start() : this.poll.refresh();
  }

  /** The poll's tick: the pages of the rows in view, again. */
  private reload(): Promise<void> {
    return this.inflight.track(this.reloadPages());
  }

  private async reloadPages(): Promise<void> {
    const pages = pagesOf(this.window[0], Math.max(this.window[1], this.window[0] + 1), this.pageSize);
    await this.load(pages.length ? pages : [0], true);
    if (this._error) {
      throw new Error(this._error); // the poll backs off while the server fails
    }
  }

  private async load(pages: number[], fresh = false): Promise<void> {
    const generation = this.generation;
    pages.forEach(p => this.loading.add(p));
    try {
      const answers = await Promise.all(pages.map(p => this.fetchPage(this._filter, p * this.pageSize, this.pageSize)));
      if (generation !== this.generation || this._isDisposed) {
        return; // the filter changed meanwhile: these rows belong to the old one
      }
      const total = answers[answers.length - 1].total;
      if (fresh && total !== this._total) {
        // runs came or went: rows outside the view moved; read them again when they are scrolled to
        this.pages.clear();
      }
      answers.forEach((a, i) => this.pages.set(pages[i], a.runs));
      this._total = total;
      this._counts = answers[answers.length - 1].counts ?? {};
      this._error = '';
    } catch (error) {
      if (generation !== this.generation || this._isDisposed) {
        return;
      }
      this._error = (error as Error).message || String(error);
    } finally {
      if (generation === this.generation) {
        pages.forEach(p => this.loading.delete(p));
      }
    }
    this._changed.emit();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.poll.dispose();
    Signal.clearData(this);
  }
}
