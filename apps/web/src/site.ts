/** The hospital site (GET /api/site), fetched once per tab: floors, nodes, edges, wards. */
import { useEffect, useState } from 'preact/hooks';
import { api } from './api';
import { setSiteTimeZone } from './i18n/i18n';

export interface SiteNode {
  id: string;
  floor: string;
  x: number;
  y: number;
  kind: string;
  ward?: string;
  name?: string;
}
export interface Site {
  id: string;
  name: string;
  floors: { mapId: string; name: string; level: number }[];
  nodes: SiteNode[];
  edges: { id: string; from: string; to: string; kind: string }[];
  wards: { id: string; name: string; floor: string }[];
  /** the site's IANA time zone (SITE_TIME_ZONE): every time in the UI is shown in it */
  timeZone?: string;
}

let cached: Promise<Site> | null = null;

export function useSite(): Site | null {
  const [site, setSite] = useState<Site | null>(null);
  useEffect(() => {
    cached ??= api<Site>('GET', '/api/site');
    cached.then(
      (s) => {
        setSiteTimeZone(s.timeZone);
        setSite(s);
      },
      () => {
        cached = null;
      },
    );
  }, []);
  return site;
}

export function stationOf(site: Site, ward: string): SiteNode | undefined {
  return site.nodes.find((n) => n.ward === ward && n.kind === 'ward_station');
}

export function nodeName(site: Site | null, id: string): string {
  return site?.nodes.find((n) => n.id === id)?.name ?? id;
}
