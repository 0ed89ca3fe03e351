/**
 * The parse thread's entry point: every report parser a feed runs off the main thread, by report
 * name. It is the only file the worker loads, so it is the one place that knows all the feeds'
 * parsers.
 */
import { parentPort } from 'node:worker_threads';
import { serveParsers } from '../xml/worker-loop';
import { createSerializedSessionParser } from './sessions/event-json';
import { createTeamParser } from './team/parser';
import { timedJsonParser } from './timed-events';
import { createVaultParser } from './vault/parser';

if (parentPort) {
  serveParsers(parentPort, {
    AccessSession: createSerializedSessionParser,
    VaultAccountActivity: timedJsonParser(createVaultParser),
    Team: timedJsonParser(createTeamParser),
  });
}
