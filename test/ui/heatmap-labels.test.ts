// What the heatmap's numbers and legend say, rendered as the page renders them
// (the components called directly: the suite's test files are .ts).
import { describe, expect, it } from 'vitest';
import { Heatmap, Proportions, shareLabel } from '../../src/ui/pages/heatmap.js';
import type { HeatmapView } from '../../src/ui/data/heatmap.js';

describe('heatmap labels', () => {
  it('100% only when all, 0% only when none: the real corpus\' 14,826 fresh of 14,868 is ">99%", its 42 stale "<1%"', async () => {
    expect([shareLabel(0, 10), shareLabel(10, 10), shareLabel(1, 1000), shareLabel(999, 1000), shareLabel(1, 2), shareLabel(0, 0)])
      .toEqual(['0', '100', '<1', '>99', '50', '0']);
    const html = String(await Proportions({ counts: { fresh: 14_826, stale: 42, missing: 0, total: 14_868 } }).toString());
    expect(html).toContain('fresh 14826 (&gt;99%)');
    expect(html).toContain('stale 42 (&lt;1%)');
    expect(html).toContain('missing 0 (0%)');
  });

  it('the outcome legend says acks keep the outcome they carry forward, not that acked pairs have none', async () => {
    const view = {
      partition: 'm', prefix: '', version: 1, counts: { fresh: 0, stale: 0, missing: 0, total: 0 }, gates: [], rows: [], folders: [],
      page: { number: 1, count: 1 },
    } as unknown as HeatmapView;
    const html = String(await Heatmap({ view, colour: 'outcome', slug: 'kb' }).toString());
    expect(html).not.toMatch(/no outcome \([^)]*acked/);
    expect(html).toContain('an ack keeps the outcome of the review it carries forward');
  });
});
