/**
 * One run, followed live for the views of its tab: a ``Poll`` reads it (``GET runs/NAME``) until it
 * finishes or is deleted, backing off while the server fails and standing by while the page is
 * hidden; views subscribe to ``changed``. ``follow()`` starts it again (after a retry or resume
 * of a finished run). No DOM here, so jest drives it with a fake server.
 */
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { isFinished, IWorkflow } from './model';
import { InFlight } from './inflight';

export type RunFetcher<T> = (name: string) => Promise<T>;

/** Why the run could not be read: ``status`` 404 when it was deleted. */
export interface IRunError {
  status?: number;
  message: string;
}

/**
 * ``T`` is what one reading returns: the run (``GET runs/NAME``) by default, or the run view's
 * picture; ``finished`` says when a reading shows the run finished (reading stops then).
 */
export class RunModel<T = IWorkflow> implements IDisposable {
  private readonly _changed = new Signal<this, T>(this);
  private readonly _failed = new Signal<this, IRunError>(this);
  private readonly poll: Poll;
  private _last: T | null = null;
  private _gone = false;
  private readonly inflight = new InFlight();
  private _isDisposed = false;

  constructor(
    readonly name: string,
    private readonly fetchRun: RunFetcher<T>,
    interval = 1000,
    private readonly finished: (reading: T) => boolean = r => isFinished((r as IWorkflow).status?.phase)
  ) {
    this.poll = new Poll({
      auto: false,
      factory: () => this.tick(),
      frequency: { interval, backoff: true, max: 30 * interval },
      name: `jupyter-flow:run:${name}`,
      standby: 'when-hidden'
    });
  }

  /** Each new reading of the run. */
  get changed(): ISignal<this, T> {
    return this._changed;
  }

  /** A reading that failed (``status`` 404: the run was deleted; polling stops then). */
  get failed(): ISignal<this, IRunError> {
    return this._failed;
  }

  /** The last reading. */
  get last(): T | null {
    return this._last;
  }

  /** Whether the poll is reading the run (false once it finished, was deleted, or before ``follow``). */
  get following(): boolean {
    return !this.poll.isDisposed && this.poll.state.phase !== 'constructed' && this.poll.state.phase !== 'stopped';
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Read the run now and keep reading it until it finishes (again, after a retry). */
  follow(): Promise<void> {
    if (this.poll.isDisposed) {
      return Promise.resolve();
    }
    this._gone = false;
    return this.following ? this.poll.refresh() : this.poll.start();
  }

  /** Read it once more now (after an action) without waiting for the next tick; a reading
   * already under way is let finish first (one request at a time: a slow server is not piled on). */
  async refresh(): Promise<void> {
    await this.inflight.settled();
    return this.following ? this.poll.refresh() : this.follow();
  }

  private tick(): Promise<void> {
    return this.inflight.track(this.read());
  }

  private async read(): Promise<void> {
    if (this._gone) {
      return;
    }
    let reading: T;
    try {
      reading = await this.fetchRun(this.name);
    } catch (error) {
      if (this._isDisposed) {
        return;
      }
      const status = (error as IRunError).status;
      this._failed.emit({ status, message: (error as Error).message || String(error) });
      if (status === 404) {
        this._gone = true;
        void this.poll.stop();
        return;
      }
      throw error; // back off and try again
    }
    if (this._isDisposed) {
      return;
    }
    this._last = reading;
    this._changed.emit(reading);
    if (this.finished(reading)) {
      void this.poll.stop();
    }
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
