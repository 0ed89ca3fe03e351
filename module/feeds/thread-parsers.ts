/**
 * Every report parser a feed runs off the main thread, by report name: what the parse thread
 * serves (parse-worker.ts) and, as a type, what a feed may ask it for, so a name it does not know
 * fails to compile. It imports parsers only, since the worker loads it.
 */
import type { ReportName } from '../pra/reports';
import type { ChunkParser } from '../xml/worker-loop';
import { createSerializedSessionParser } from './sessions/event-json';
import { createTeamParser } from './team/parser';
import { timedJsonParser } from './timed-events';
import { createVaultParser } from './vault/parser';

export const THREAD_PARSERS = {
  AccessSession: createSerializedSessionParser,
  VaultAccountActivity: timedJsonParser(createVaultParser),
  Team: timedJsonParser(createTeamParser),
} as const satisfies Partial<Record<ReportName, () => ChunkParser<unknown>>>;

/** The reports the parse thread reads. */
export type ThreadReport = keyof typeof THREAD_PARSERS;
