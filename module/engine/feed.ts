/**
 * What a feed is to the engine: a description (its reports, its configuration, its state) and a
 * cycle built on the engine's mechanisms. The engine's trigger runs every feed the same way.
 */
import type { LogLevel } from '@sekoia/automation-sdk-shim';
import type { ArgumentReader, CollectionConfig } from '../config';
import type { PraClient, PraCredentials } from '../pra/client';
import type { ReportName } from '../pra/reports';
import type { ForwarderOptions } from './forwarder';
import type { CollectorMetrics } from './metrics';

/** The forwarder's options but the state's save, which the cycle environment owns. */
export type IntakeDelivery = Omit<ForwarderOptions, 'save'>;

/** A feed's memory between cycles, saved after every commit. */
export interface FeedState {
  /** Everything PRA reported before this time (unix seconds) was collected: what the lag metric measures. */
  readonly watermark: number;
  /** Items being collected (sessions followed or retried), for the metrics. */
  readonly pendingCount: number;
  /** Items set aside after repeated failures, for the metrics. */
  readonly setAsideCount: number;
  /** The JSON written to context.json. */
  toJSON(): unknown;
}

/** What a cycle needs from the world besides PRA: the clock, stop, logs, delivery to the intake. */
export interface CycleEnvironment {
  running(): boolean;
  /** The loop is alive: /health follows this. */
  heartbeat(): void;
  log(message: string, level?: LogLevel): void;
  /** Unix seconds. */
  now(): number;
  /** How events reach the intake (see Forwarder). */
  delivery: IntakeDelivery;
  /**
   * Writes the feed's state to its file now, atomically. The forwarder calls it after each push
   * the intake accepted (its progress committed); a cycle, after a change that must outlive a crash
   * before any push: sessions newly tracked as a window is passed, a failure counted.
   */
  saveState(): void;
  metrics: CollectorMetrics;
}

/** Everything a feed's start() gets. */
export interface FeedContext<Config, State> extends CycleEnvironment {
  config: Config;
  state: State;
  client: PraClient;
  /** Where the feed may keep files of its own (the data directory). */
  dataDir: string;
}

export interface FeedCycle {
  /** One cycle: ask PRA for what is new, forward it, commit. Throws what ended it early. */
  run(): Promise<void>;
  /** Frees what the cycle holds (a parse thread) when the trigger stops. */
  close?(): Promise<void>;
}

export interface Feed<Config extends CollectionConfig, State extends FeedState> {
  /** For logs: "PRA session events". */
  readonly title: string;
  /** The reports it reads, for the credential check and permission messages. */
  readonly reports: readonly [ReportName, ...ReportName[]];
  configure(credentials: PraCredentials, args: ArgumentReader): Config;
  /** The smallest request of its report: throws the PraError that says what is wrong. */
  probe(client: PraClient): Promise<void>;
  /**
   * The state from what context.json holds (undefined on a first start), including a Python
   * collector's checkpoint to take over. Throws StateFormatError when it cannot be used.
   */
  openState(saved: unknown, now: number, config: Config, file: string): State;
  /** Builds the feed's cycle; called once per process, so it may keep what it learns across cycles. */
  start(context: FeedContext<Config, State>): FeedCycle;
}
