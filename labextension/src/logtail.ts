/**
 * The part of a node's log the view keeps: one contiguous byte range ``[start, end)`` of the log
 * file, as pieces (one text node each), at most ``limit`` bytes; older pieces are dropped as new
 * ones arrive. A step can print gigabytes (one line of 1 GB was seen): appended to one ``<pre>``
 * without limit, that froze the tab. "Load earlier" prepends the range just before ``start``
 * (the user asked for it, so the limit grows with it, up to ``maxLimit``).
 *
 * Byte offsets come from the server (each chunk says where it starts and ends in the file), so
 * nothing here measures text; a chunk that does not continue ``end`` (the server skipped bytes a
 * follower could not keep up with) starts the view again from that chunk.
 */

export interface ILogRange {
  text: string;
  /** byte offset of the chunk's first byte in the log file */
  start: number;
  /** byte offset just after the chunk */
  offset: number;
}

export interface ILogChange {
  /** every piece was dropped (a gap): clear the view before appending */
  reset: boolean;
  /** how many pieces to remove from the front of the view */
  dropped: number;
}

export const LOG_VIEW_BYTES = 256 * 1024;
export const LOG_VIEW_MAX_BYTES = 4 * 1024 * 1024;
export const LOG_EARLIER_BYTES = 64 * 1024;

export class LogTail {
  /** byte offset of the first byte kept (-1 before any chunk) */
  start = -1;
  /** byte offset after the last byte kept */
  end = -1;
  private sizes: number[] = [];
  private total = 0;

  constructor(
    public limit = LOG_VIEW_BYTES,
    readonly maxLimit = LOG_VIEW_MAX_BYTES
  ) {}

  /** Bytes kept. */
  get bytes(): number {
    return this.total;
  }

  /** Pieces kept (one per chunk). */
  get pieces(): number {
    return this.sizes.length;
  }

  /** A chunk that follows: appended (after a reset if it does not continue ``end``), then the
   * oldest pieces are dropped until at most ``limit`` bytes are kept (the newest piece stays). */
  append(chunk: ILogRange): ILogChange {
    let reset = false;
    if (this.end !== chunk.start) {
      reset = this.sizes.length > 0 || this.start >= 0;
      this.sizes = [];
      this.total = 0;
      this.start = chunk.start;
    }
    const size = Math.max(0, chunk.offset - chunk.start);
    this.sizes.push(size);
    this.total += size;
    this.end = chunk.offset;
    let dropped = 0;
    while (this.sizes.length > 1 && this.total > this.limit) {
      const first = this.sizes.shift() as number;
      this.total -= first;
      this.start += first;
      dropped++;
    }
    return { reset, dropped };
  }

  /** Whether there is log before ``start`` the view may still load. */
  canLoadEarlier(): boolean {
    return this.start > 0 && this.total < this.maxLimit;
  }

  /** The range "load earlier" asks for: up to ``bytes`` just before ``start``. */
  earlierRange(bytes = LOG_EARLIER_BYTES): { offset: number; length: number } | null {
    if (!this.canLoadEarlier()) {
      return null;
    }
    const want = Math.min(bytes, this.maxLimit - this.total);
    const offset = Math.max(0, this.start - want);
    return { offset, length: this.start - offset };
  }

  /** A chunk that ends where the view starts, put in front; false (nothing changed) if it does
   * not meet ``start`` (the view moved on meanwhile). The limit grows to keep it. */
  prepend(chunk: ILogRange): boolean {
    if (chunk.offset !== this.start || chunk.start > chunk.offset) {
      return false;
    }
    const size = chunk.offset - chunk.start;
    this.sizes.unshift(size);
    this.total += size;
    this.start = chunk.start;
    this.limit = Math.min(this.maxLimit, Math.max(this.limit, this.total));
    return true;
  }
}

/** "512 B", "64 KB", "1.5 MB", "2.3 GB": how much of the log is not shown. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}
