import { fitCapped, IFitTarget } from '../src/fitzoom';

/** A viewport whose fit() zooms to `fitZoom` (what cytoscape's fit gives for a graph and area). */
class Viewport implements IFitTarget {
  level = 1;
  centred = false;
  constructor(private fitZoom: number) {}
  fit(): void {
    this.level = this.fitZoom;
  }
  zoom(level?: number): any {
    if (level === undefined) {
      return this.level;
    }
    this.level = level;
    return this;
  }
  center(): void {
    this.centred = true;
  }
}

describe('fitCapped', () => {
  it('does not blow two nodes up to fill the area: the fit stops at the cap, centred', () => {
    const v = new Viewport(3); // what fit() gives a starting run's two nodes (the widget's max_zoom)
    expect(fitCapped(v, 12, 1.25)).toBe(1.25);
    expect(v.centred).toBe(true);
  });

  it('leaves a fit that zooms out (a big graph) alone', () => {
    const v = new Viewport(0.2);
    expect(fitCapped(v, 12, 1.25)).toBe(0.2);
    expect(v.centred).toBe(false);
  });

  it('without a cap, fits as cytoscape does', () => {
    expect(fitCapped(new Viewport(3), 12, 0)).toBe(3);
  });
});
