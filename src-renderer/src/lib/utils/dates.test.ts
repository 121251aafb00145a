import { describe, expect, it } from 'vitest';
import { dateGroup, groupConversations } from './dates';

// Local-time dates: the groups are the user's calendar days.
const now = new Date(2025, 4, 20, 15, 0, 0);
const at = (days: number, hour = 12): string => new Date(2025, 4, 20 - days, hour, 0, 0).toISOString();

describe('dateGroup', () => {
  it('splits at local midnight, one day back and seven days back', () => {
    expect(dateGroup(new Date(2025, 4, 20, 0, 0, 1).toISOString(), now)).toBe('Today');
    expect(dateGroup(new Date(2025, 4, 19, 23, 59).toISOString(), now)).toBe('Yesterday');
    expect(dateGroup(at(2), now)).toBe('Previous 7 days');
    expect(dateGroup(new Date(2025, 4, 13, 0, 0, 0).toISOString(), now)).toBe('Previous 7 days');
    expect(dateGroup(new Date(2025, 4, 12, 23, 59).toISOString(), now)).toBe('Older');
    expect(dateGroup('not a date', now)).toBe('Older');
  });
});

describe('groupConversations', () => {
  it('puts pinned ones first whatever their age, then the date groups in order, newest first, without empty groups', () => {
    const items = [
      { id: 'older', updatedAt: at(30) },
      { id: 'today-1', updatedAt: at(0, 9) },
      { id: 'pinned-old', updatedAt: at(400), pinned: true },
      { id: 'yesterday', updatedAt: at(1) },
      { id: 'today-2', updatedAt: at(0, 14) },
      { id: 'pinned-new', updatedAt: at(0, 10), pinned: true },
    ];
    const groups = groupConversations(items, now);
    expect(groups.map((g) => [g.label, g.items.map((c) => c.id)])).toEqual([
      ['Pinned', ['pinned-new', 'pinned-old']],
      ['Today', ['today-2', 'today-1']],
      ['Yesterday', ['yesterday']],
      ['Older', ['older']],
    ]);
  });

  it('gives no groups for no conversations', () => {
    expect(groupConversations([], now)).toEqual([]);
  });
});
