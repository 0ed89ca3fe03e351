import path from 'node:path';
import { ParserThread } from '../xml/thread';

/**
 * ts-jest runs the TypeScript sources, but a worker needs JavaScript: it then takes the compiled
 * build, which `npm test` makes before running jest.
 */
const PARSE_WORKER_SCRIPT = __filename.endsWith('.ts')
  ? path.join(__dirname, '..', '..', 'dist', 'module', 'feeds', 'parse-worker.js')
  : path.join(__dirname, 'parse-worker.js');

/** A parse thread that knows every feed's parsers (see parse-worker.ts). */
export function createParserThread(): ParserThread {
  return new ParserThread(PARSE_WORKER_SCRIPT);
}
