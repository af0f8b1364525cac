import { describe, expect, it } from 'vitest';
import { Schedule } from '../../src/runtime/schedule.ts';

describe('Schedule', () => {
  it('takes the due keys earliest first, with their values, and leaves the rest', () => {
    const schedule = new Schedule<string>();
    schedule.set('c', 30, 'third');
    schedule.set('a', 10, 'first');
    schedule.set('b', 20, 'second');
    expect(schedule.nextAt()).toBe(10);
    expect(schedule.takeDue(25)).toEqual([
      ['a', 'first'],
      ['b', 'second'],
    ]);
    expect(schedule.size).toBe(1);
    expect(schedule.nextAt()).toBe(30);
    expect(schedule.takeDue(29)).toEqual([]);
  });

  it('a key set again is due only at its latest time; a deleted key is never due', () => {
    const schedule = new Schedule<number>();
    schedule.set('moved', 10, 1);
    schedule.set('moved', 50, 2);
    schedule.set('gone', 5, 3);
    schedule.delete('gone');
    expect(schedule.nextAt()).toBe(50);
    expect(schedule.takeDue(100)).toEqual([['moved', 2]]);
    expect(schedule.nextAt()).toBe(Infinity);
  });

  it('matches a sorted reference through 20,000 random sets, moves and deletes (the stale entries rebuilt away many times)', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const schedule = new Schedule<number>();
    const reference = new Map<string, number>();
    let now = 0;
    for (let step = 0; step < 20_000; step++) {
      const key = `k${Math.floor(random() * 500)}`;
      if (random() < 0.2) {
        schedule.delete(key);
        reference.delete(key);
      } else {
        const at = now + Math.floor(random() * 1_000);
        schedule.set(key, at, at);
        reference.set(key, at);
      }
      if (step % 100 === 0) {
        now += 50;
        const expected = [...reference].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]);
        const taken = schedule.takeDue(now);
        expect(taken.map(([, at]) => at)).toEqual(expected.map(([, at]) => at));
        expect(new Set(taken.map(([key]) => key))).toEqual(new Set(expected.map(([key]) => key)));
        for (const [key] of expected) reference.delete(key);
      }
    }
    expect(schedule.size).toBe(reference.size);
  });
});
