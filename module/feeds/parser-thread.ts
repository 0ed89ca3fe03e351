import path from 'node:path';
import { ParserThread } from '../xml/thread';
import type { ThreadReport } from './thread-parsers';

/**
 * ts-jest runs the TypeScript sources, but a worker needs JavaScript: it then takes the compiled
 * build, which `npm test` makes before running jest.
 */
const PARSE_WORKER_SCRIPT = __filename.endsWith('.ts')
  ? path.join(__dirname, '..', '..', 'dist', 'module', 'feeds', 'parse-worker.js')
  : path.join(__dirname, 'parse-worker.js');

/** A parse thread that knows every feed's parsers (see thread-parsers.ts). */
export function createParserThread(): ParserThread<ThreadReport> {
  return new ParserThread<ThreadReport>(PARSE_WORKER_SCRIPT);
}
