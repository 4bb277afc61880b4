/**
 * Fitting the notebook widget's DAG into its area without blowing a small graph up.
 *
 * `cy.fit()` zooms until the graph fills the area: while a run starts (its first one or two
 * nodes) that is the widget's maximum zoom, and two nodes fill the whole widget. The fit is
 * capped at `maxFitZoom` (the model's `fit_max_zoom`, 1.25 by default: a node keeps a readable
 * size, its label near the stylesheet's 11 px) and the graph centred instead; the user can
 * still zoom further by hand (up to the model's `max_zoom`).
 */

/** What `fitCapped` uses of a cytoscape core (so the rule is testable without a page). */
export interface IFitTarget {
  fit(eles?: any, padding?: number): unknown;
  zoom(): number;
  zoom(level: number): unknown;
  center(eles?: any): unknown;
}

export function fitCapped(cy: IFitTarget, padding: number, maxFitZoom: number): number {
  cy.fit(undefined, padding);
  if (maxFitZoom > 0 && cy.zoom() > maxFitZoom) {
    cy.zoom(maxFitZoom);
    cy.center();
  }
  return cy.zoom();
}
