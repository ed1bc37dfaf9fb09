export { createDemoHospitalGraph, DEMO_HOSPITAL_SITE } from './demo-hospital.site.js';
export type { NearestNode } from './floor-index.js';
export type { Route, RouteEdge, RouteEdgeKind, RouteOptions, TimeTree } from './route.types.js';
export { liftEdgeId } from './site-graph.build.js';
export { SiteGraph } from './site-graph.js';
