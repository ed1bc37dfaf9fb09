/**
 * Starts a `vda-5050-lib` AgvController (the third-party robot stack MedLoop is tested against)
 * with either the library's stock VirtualAgvAdapter or MedLoop's compartment adapter. Only
 * configuration is passed: broker, the credentials MedLoop issued at registration, the robot's
 * identity, where it stands, and how fast its virtual time runs.
 */
import { AgvController, type AgvAdapterConstructor, VirtualAgvAdapter, type VirtualAgvAdapterOptions } from 'vda-5050-lib';
import { MedloopCompartmentAdapter, type MedloopCompartmentAdapterOptions } from './medloop-compartment-adapter.js';

export interface VirtualAgvConfig {
  brokerUrl: string;
  username: string;
  password: string;
  manufacturer: string;
  serialNumber: string;
  /** the topic's first level; MedLoop's site default is `uagv` */
  interfaceName?: string;
  /** where the robot stands at start: a site node (its id and position on its floor's map) */
  initialNode: { nodeId: string; x: number; y: number; mapId: string; theta?: number };
  /** 'stock' = the library's VirtualAgvAdapter as published; 'medloop' = with the compartment extension */
  adapter: 'stock' | 'medloop';
  /** virtual seconds per real second (the library's `timeLapse`); default 10 */
  timeLapse?: number;
  /** periodic state (ms) besides the ones the controller sends on every change; default 5000 */
  publishStateIntervalMs?: number;
  adapterOptions?: Omit<MedloopCompartmentAdapterOptions, 'initialPosition' | 'timeLapse'>;
}

export interface VirtualAgv {
  controller: AgvController;
  stop(): Promise<void>;
}

export async function startVirtualAgv(cfg: VirtualAgvConfig): Promise<VirtualAgv> {
  const adapterOptions: VirtualAgvAdapterOptions & MedloopCompartmentAdapterOptions = {
    initialPosition: {
      mapId: cfg.initialNode.mapId,
      x: cfg.initialNode.x,
      y: cfg.initialNode.y,
      theta: cfg.initialNode.theta ?? 0,
      lastNodeId: cfg.initialNode.nodeId,
    },
    timeLapse: cfg.timeLapse ?? 10,
    tickRate: 10,
    ...cfg.adapterOptions,
  };
  const controller = new AgvController(
    { manufacturer: cfg.manufacturer, serialNumber: cfg.serialNumber },
    {
      interfaceName: cfg.interfaceName ?? 'uagv',
      transport: { brokerUrl: cfg.brokerUrl, username: cfg.username, password: cfg.password, reconnectPeriod: 200, connectTimeout: 5000 },
      vdaVersion: '2.0.0',
    },
    {
      agvAdapterType: (cfg.adapter === 'stock' ? VirtualAgvAdapter : MedloopCompartmentAdapter) as AgvAdapterConstructor,
      publishStateInterval: cfg.publishStateIntervalMs ?? 5000,
    },
    adapterOptions,
  );
  await controller.start();
  return { controller, stop: () => controller.stop() };
}
