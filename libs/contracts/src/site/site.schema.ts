/**
 * The hospital site file: floors (VDA 5050 maps), the route graph the robots drive on, the
 * wards it serves and the lifts that join the floors. Shared by the control plane (routing,
 * dispatch), the robot simulators and the web UI (map view).
 *
 * This schema checks the shape of each entry; `parseSiteFile` adds the checks that need the
 * whole file (references between entries, unique ids) and fills in derived defaults.
 *
 * Units: coordinates and lengths in metres, speeds in m/s, times in seconds.
 */
import { z } from 'zod';

/**
 * VDA 5050 ids (nodeId, edgeId, mapId) travel inside JSON payloads and end up in logs, URLs and
 * topic-like keys; the standard forbids the MQTT wildcard and separator characters. We also
 * forbid whitespace and control characters so an id reads the same everywhere it is printed.
 */
const VDA_ID = /^[\x21-\x7e]+$/;
const VDA_FORBIDDEN = /[/+#$]/;

const vdaId = (what: string) =>
  z
    .string()
    .min(1, { error: `${what} must not be empty` })
    .max(128, { error: `${what} must be at most 128 characters` })
    .refine((s) => VDA_ID.test(s), { error: `${what} must be printable ASCII without spaces` })
    .refine((s) => !VDA_FORBIDDEN.test(s), { error: `${what} must not contain '/', '+', '#' or '$'` });

const metres = z.number().finite();
const positive = (what: string) =>
  z
    .number()
    .finite()
    .positive({ error: `${what} must be greater than 0` });
const nonNegative = (what: string) =>
  z
    .number()
    .finite()
    .nonnegative({ error: `${what} must not be negative` });

export const SITE_NODE_KINDS = ['pharmacy_dock', 'ward_station', 'charger', 'lift_lobby', 'lift_car', 'waypoint', 'parking'] as const;
export type SiteNodeKind = (typeof SITE_NODE_KINDS)[number];

/** Edges a robot drives along; lift rides are not edges in the file, they come from `lifts`. */
export const SITE_EDGE_KINDS = ['corridor', 'door'] as const;
export type SiteEdgeKind = (typeof SITE_EDGE_KINDS)[number];

const floorSchema = z.strictObject({
  /** VDA 5050 `mapId`: robots report their position on this map. */
  mapId: vdaId('mapId'),
  name: z.string().min(1),
  /** Storey number (0 = ground); lift ride time scales with the difference in levels. */
  level: z.int(),
});

const nodeSchema = z.strictObject({
  id: vdaId('node id'),
  /** mapId of the floor the node is on. */
  floor: vdaId('floor'),
  x: metres,
  y: metres,
  /**
   * Orientation a robot must have on this node (VDA 5050 `nodePosition.theta`: radians in
   * [-π, π], counter-clockwise from the map's x axis), e.g. backed into a dock. When absent,
   * orders use the heading of the edge the robot arrives on.
   */
  theta: z
    .number()
    .finite()
    .min(-Math.PI, { error: 'theta must be in [-π, π] radians' })
    .max(Math.PI, { error: 'theta must be in [-π, π] radians' })
    .optional(),
  kind: z.enum(SITE_NODE_KINDS),
  /** The ward this node belongs to (required in practice for ward stations). */
  ward: vdaId('ward').optional(),
  name: z.string().min(1).optional(),
});

const wardSchema = z.strictObject({
  id: vdaId('ward id'),
  name: z.string().min(1),
  /** mapId of the floor the ward is on. */
  floor: vdaId('floor'),
});

const edgeSchema = z.strictObject({
  id: vdaId('edge id'),
  from: vdaId('from'),
  to: vdaId('to'),
  /** Driven length; when absent, the straight-line distance between the two nodes. */
  lengthM: positive('lengthM').optional(),
  bidirectional: z.boolean().default(true),
  /** Speed limit on this edge (e.g. past a ward entrance); VDA 5050 edge `maxSpeed`. */
  maxSpeed: positive('maxSpeed').optional(),
  kind: z.enum(SITE_EDGE_KINDS).default('corridor'),
});

const liftSchema = z.strictObject({
  id: vdaId('lift id'),
  name: z.string().min(1),
  /** One lift_lobby node per floor served, where a robot waits for and leaves the car. */
  serves: z.array(vdaId('lobby node id')).min(2, { error: 'a lift must serve at least 2 floors' }),
  rideTimePerFloorS: positive('rideTimePerFloorS'),
  meanWaitS: nonNegative('meanWaitS'),
});

export const siteFileSchema = z.strictObject({
  id: vdaId('site id'),
  name: z.string().min(1),
  /** VDA 5050 topic prefix used at this site; `uagv` when absent. */
  interfaceName: vdaId('interfaceName').optional(),
  floors: z.array(floorSchema).min(1, { error: 'a site needs at least one floor' }),
  nodes: z.array(nodeSchema).min(1, { error: 'a site needs at least one node' }),
  wards: z.array(wardSchema).default([]),
  edges: z.array(edgeSchema).default([]),
  lifts: z.array(liftSchema).default([]),
});

/** What an author writes (optional fields may be left out). */
export type SiteFileInput = z.input<typeof siteFileSchema>;
/** The file after the shape check, defaults applied, before cross-reference resolution. */
export type SiteFile = z.output<typeof siteFileSchema>;

export type SiteFloor = z.output<typeof floorSchema>;
export type SiteNode = z.output<typeof nodeSchema>;
export type SiteWard = z.output<typeof wardSchema>;
export type SiteLift = z.output<typeof liftSchema>;
/** An edge with its length resolved (explicit or straight-line). */
export type SiteEdge = Omit<z.output<typeof edgeSchema>, 'lengthM'> & { lengthM: number };

/** A parsed, cross-checked site: every reference resolves and every edge has a length. */
export interface Site extends Omit<SiteFile, 'edges'> {
  edges: SiteEdge[];
}
