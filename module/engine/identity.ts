import { createHash } from 'node:crypto';

/**
 * A short digest of a text: what identifies an event where PRA gives none. Short, since the state
 * keeps one per event of the overlap (and one per followed session); 96 bits leave no practical
 * chance of two different events of one second colliding.
 */
export function shortDigest(text: string): string {
  return createHash('sha1').update(text).digest('base64').slice(0, 16);
}
