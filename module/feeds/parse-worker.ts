/** The parse thread's entry point: it serves every parser of thread-parsers.ts, and loads nothing else. */
import { parentPort } from 'node:worker_threads';
import { serveParsers } from '../xml/worker-loop';
import { THREAD_PARSERS } from './thread-parsers';

if (parentPort) serveParsers(parentPort, THREAD_PARSERS);
