/**
 * One floor of the site drawn as SVG from GET /api/site (nodes and corridors), with the live
 * robots on it. North is up (site y grows northwards). Robots glide between samples with a CSS
 * transition as long as the sample period, so 2 Hz positions still look like motion.
 */
import type { LiveRobot } from '../../../libs/contracts/src/live/live.types';
import type { Site } from './site';
import { t } from './i18n/i18n';

const PAD = 4;

export function FloorMap(props: { site: Site; floor: string; robots: LiveRobot[]; highlightWard?: string; title?: string }) {
  const { site, floor } = props;
  const nodes = site.nodes.filter((n) => n.floor === floor);
  if (nodes.length === 0) return <div class="empty">{t('map.noFloor', { floor })}</div>;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const xs = nodes.map((n) => n.x);
  const ys = nodes.map((n) => n.y);
  // room for station labels at both ends
  const minX = Math.min(...xs) - PAD - 6;
  const maxX = Math.max(...xs) + PAD + 6;
  // labels hang below the southern stations
  const minY = Math.min(...ys) - PAD - 3;
  const maxY = Math.max(...ys) + PAD;
  const sx = (x: number) => x - minX;
  const sy = (y: number) => maxY - y;
  const edges = site.edges.filter((e) => byId.has(e.from) && byId.has(e.to));
  const robots = props.robots.filter((r) => r.position?.mapId === floor);
  const floorName = site.floors.find((f) => f.mapId === floor)?.name ?? floor;
  return (
    <figure class="map" data-floor={floor}>
      <figcaption>
        {props.title ?? floorName} <span class="muted">· {t('map.robots', { count: robots.length })}</span>
      </figcaption>
      <svg viewBox={`0 0 ${maxX - minX} ${maxY - minY}`} role="img" aria-label={t('map.aria', { floor: floorName })}>
        {edges.map((e) => {
          const a = byId.get(e.from)!;
          const b = byId.get(e.to)!;
          return <line key={e.id} class={`edge ${e.kind}`} x1={sx(a.x)} y1={sy(a.y)} x2={sx(b.x)} y2={sy(b.y)} />;
        })}
        {nodes.map((n) => {
          const mine = props.highlightWard !== undefined && n.ward === props.highlightWard;
          if (n.kind === 'ward_station' || n.kind === 'pharmacy_dock') {
            return (
              <g key={n.id} class={`station ${mine ? 'mine' : ''}`} transform={`translate(${sx(n.x)} ${sy(n.y)})`}>
                <rect x={-1.6} y={-1.6} width={3.2} height={3.2} rx={0.6} />
                <text y={4.2} text-anchor="middle">
                  {n.ward ?? n.name ?? n.id}
                </text>
              </g>
            );
          }
          return <circle key={n.id} class={`node ${n.kind}`} cx={sx(n.x)} cy={sy(n.y)} r={n.kind === 'waypoint' ? 0.45 : 0.9} />;
        })}
        {robots.map((r) => {
          const p = r.position!;
          const alert = r.eStop && r.eStop !== 'NONE';
          return (
            <g
              key={r.id}
              class={`robot ${alert ? 'alert' : ''} ${r.connection !== 'ONLINE' || r.stale ? 'offline' : ''}`}
              data-robot={r.id}
              data-x={p.x.toFixed(2)}
              data-y={p.y.toFixed(2)}
              style={{ transform: `translate(${sx(p.x)}px, ${sy(p.y)}px)` }}
            >
              <circle r={1.5} />
              <path d="M 0 -1.1 L 0.8 0.7 L -0.8 0.7 Z" transform={`rotate(${90 - (p.theta * 180) / Math.PI})`} />
              <text y={-2.1} text-anchor="middle">
                {r.serialNumber}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
