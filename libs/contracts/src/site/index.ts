export { SITE_EDGE_KINDS, SITE_NODE_KINDS, siteFileSchema } from './site.schema.js';
export type { Site, SiteEdge, SiteEdgeKind, SiteFile, SiteFileInput, SiteFloor, SiteLift, SiteNode, SiteNodeKind, SiteWard } from './site.schema.js';
export { SiteFileError } from './site-file.error.js';
export type { SiteFileIssue } from './site-file.error.js';
export { parseSiteFile } from './site-file.parser.js';
