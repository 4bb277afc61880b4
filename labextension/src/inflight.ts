/**
 * The one read a model has under way, so that a refresh waits for it instead of piling a second
 * request on a slow server (the runs panel's pages and a run tab's reading share this rule).
 */
export class InFlight {
  private current: Promise<void> | null = null;

  /** Remember ``reading`` as the read under way until it settles; returns it. */
  track(reading: Promise<void>): Promise<void> {
    this.current = reading;
    const done = () => {
      if (this.current === reading) {
        this.current = null;
      }
    };
    reading.then(done, done);
    return reading;
  }

  /** Resolves once the read under way (if any) has settled, whether it succeeded or failed. */
  async settled(): Promise<void> {
    if (this.current) {
      await this.current.catch(() => undefined);
    }
  }
}
