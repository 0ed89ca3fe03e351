/** What more than one bench reads from its command line or from the image. */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { imageEnvironment } from '../scripts/image-replay';

/** The image's NODE_OPTIONS, from the Dockerfile: measure the collector as the image runs it. */
export const IMAGE_NODE_OPTIONS = imageEnvironment(
  fs.readFileSync(path.join(__dirname, '..', '..', 'Dockerfile'), 'utf8'),
).NODE_OPTIONS;

/** A commander argument parser for counts and sizes. */
export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be an integer >= 1');
  return parsed;
}
