/**
 * The parse thread's entry point: every report parser a feed runs off the main thread, by report
 * name. It is the only file the worker loads, so it is the one place that knows all the feeds'
 * parsers.
 */
import { parentPort } from 'node:worker_threads';
import { serveParsers } from '../xml/worker-loop';
import { createSerializedSessionParser } from './sessions/event-json';

if (parentPort) {
  serveParsers(parentPort, {
    AccessSession: createSerializedSessionParser,
  });
}
