import { formatBytes, LogTail } from '../src/logtail';

const chunk = (start: number, text: string) => ({ text, start, offset: start + text.length });

describe('LogTail: the part of a log the view keeps', () => {
  it('appends contiguous chunks and keeps at most limit bytes, dropping the oldest pieces', () => {
    const tail = new LogTail(10, 100);
    expect(tail.append(chunk(0, 'aaaa'))).toEqual({ reset: false, dropped: 0 });
    expect(tail.append(chunk(4, 'bbbb'))).toEqual({ reset: false, dropped: 0 });
    expect([tail.start, tail.end, tail.bytes]).toEqual([0, 8, 8]);
    expect(tail.append(chunk(8, 'cccc'))).toEqual({ reset: false, dropped: 1 });
    expect([tail.start, tail.end, tail.bytes, tail.pieces]).toEqual([4, 12, 8, 2]);
    expect(tail.canLoadEarlier()).toBe(true);
  });

  it('keeps one piece bigger than the limit (the newest is always shown)', () => {
    const tail = new LogTail(10, 100);
    tail.append(chunk(0, 'aaaa'));
    expect(tail.append(chunk(4, 'x'.repeat(30)))).toEqual({ reset: false, dropped: 1 });
    expect([tail.start, tail.end, tail.pieces]).toEqual([4, 34, 1]);
  });

  it('starts again from a chunk past a gap (bytes the server skipped)', () => {
    const tail = new LogTail(10, 100);
    tail.append(chunk(0, 'aaaa'));
    expect(tail.append(chunk(5000, 'zz'))).toEqual({ reset: true, dropped: 0 });
    expect([tail.start, tail.end, tail.bytes, tail.pieces]).toEqual([5000, 5002, 2, 1]);
  });

  it('a first chunk from the middle of the file (a tail) is not a reset', () => {
    const tail = new LogTail();
    expect(tail.append(chunk(70000, 'end\n'))).toEqual({ reset: false, dropped: 0 });
    expect(tail.start).toBe(70000);
  });

  it('loads earlier ranges that meet start, growing the limit up to maxLimit', () => {
    const tail = new LogTail(8, 20);
    tail.append(chunk(100, 'abcdefgh'));
    expect(tail.earlierRange(6)).toEqual({ offset: 94, length: 6 });
    expect(tail.prepend(chunk(94, '123456'))).toBe(true);
    expect([tail.start, tail.bytes, tail.limit]).toEqual([94, 14, 14]);
    // a range that no longer meets start (the view moved on) changes nothing
    expect(tail.prepend(chunk(80, 'xxxx'))).toBe(false);
    expect(tail.start).toBe(94);
    // at most maxLimit - bytes more
    expect(tail.earlierRange(64)).toEqual({ offset: 88, length: 6 });
    tail.prepend(chunk(88, '......'));
    expect([tail.bytes, tail.limit, tail.canLoadEarlier(), tail.earlierRange()]).toEqual([20, 20, false, null]);
    // new chunks now trim to the grown limit
    expect(tail.append(chunk(108, 'ZZZZ')).dropped).toBe(1);
    expect(tail.bytes).toBeLessThanOrEqual(20);
  });

  it('has nothing earlier at the start of the file', () => {
    const tail = new LogTail();
    tail.append(chunk(0, 'all of it'));
    expect(tail.canLoadEarlier()).toBe(false);
    expect(tail.earlierRange()).toBeNull();
    expect(tail.earlierRange(10)).toBeNull();
  });
});

describe('formatBytes', () => {
  it('says how much is not shown', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(64 * 1024)).toBe('64 KB');
    expect(formatBytes(1.5 * 1024 * 1024)).toBe('1.5 MB');
    expect(formatBytes(1e9)).toBe('954 MB');
    expect(formatBytes(-3)).toBe('0 B');
  });
});
