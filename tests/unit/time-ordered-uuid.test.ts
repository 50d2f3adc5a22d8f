import { describe, expect, it } from 'vitest';
import { isUuid, timeOrderedUuid } from '../../lib/db.js';

describe('timeOrderedUuid', () => {
  it('makes version-7 UUIDs that sort in the order they were made, many per millisecond', () => {
    const ids = Array.from({ length: 20_000 }, () => timeOrderedUuid());
    for (const id of ids) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe('7'); // version
      expect('89ab').toContain(id[19]!); // RFC 9562 variant
    }
    // 20,000 in a loop share milliseconds (the counter orders them) and are all distinct.
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('ends in 62 random bits (the same draw never comes twice)', () => {
    const tails = Array.from({ length: 5000 }, () => timeOrderedUuid().slice(19).replace('-', ''));
    expect(new Set(tails).size).toBe(tails.length);
    // Each of the 16 hex places takes many values (a stuck or unfilled pool would not).
    for (let i = 1; i < 16; i++) expect(new Set(tails.map((t) => t[i])).size).toBeGreaterThan(12);
  });

  it('carries the time it was made in its first 48 bits', () => {
    const before = Date.now();
    const id = timeOrderedUuid();
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now() + 50); // the counter may run a few ms ahead
  });
});
