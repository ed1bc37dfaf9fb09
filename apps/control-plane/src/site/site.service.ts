/**
 * The hospital site: floors, route graph, wards, lifts. Loaded once at boot from SITE_FILE, or
 * the built-in demo hospital, before the application is built: a malformed file stops the
 * server with the path and field at fault (SiteFileError) before anything connects or listens.
 */
import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { parseSiteFile, type Site, SiteFileError } from '#contracts';
import { DEMO_HOSPITAL_SITE, SiteGraph } from '#domain';

export function loadSite(path: string | undefined): Site {
  if (!path) return parseSiteFile(DEMO_HOSPITAL_SITE, 'built-in demo hospital');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new SiteFileError(path, [
      { path: '', message: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `not valid JSON: ${(err as Error).message}` },
    ]);
  }
  return parseSiteFile(json, path);
}

/** Injection token for the parsed site. */
export const SITE = Symbol('SITE');

@Injectable()
export class SiteService {
  readonly graph: SiteGraph;

  constructor(@Inject(SITE) readonly site: Site) {
    this.graph = new SiteGraph(site);
  }

  /** The ward of a node, if it belongs to one. */
  wardOf(nodeId: string): string | null {
    return this.graph.hasNode(nodeId) ? (this.graph.node(nodeId).ward ?? null) : null;
  }
}
