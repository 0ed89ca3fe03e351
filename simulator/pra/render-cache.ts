/**
 * The bytes of session renderings that can no longer change (ended, every event already shown), so
 * that a session asked for again is not rendered again. Bounded in bytes, least recently used out
 * first: a tenant of a million sessions must not end up holding every rendering.
 */
import type { SimSession } from './types';

interface Rendering {
  /** What else the rendering depends on: namespace style and base URL. */
  key: string;
  bytes: Buffer;
}

export class RenderCache {
  /** In use order, least recent first (a Map iterates in insertion order). */
  private readonly renderings = new Map<SimSession, Rendering>();
  private bytes = 0;

  constructor(private readonly budgetBytes: number) {}

  get(session: SimSession, key: string): Buffer | undefined {
    const rendering = this.renderings.get(session);
    if (rendering?.key !== key) return undefined;
    this.renderings.delete(session);
    this.renderings.set(session, rendering);
    return rendering.bytes;
  }

  set(session: SimSession, key: string, bytes: Buffer): void {
    this.drop(session);
    if (bytes.length > this.budgetBytes) return;
    this.renderings.set(session, { key, bytes });
    this.bytes += bytes.length;
    for (const oldest of this.renderings.keys()) {
      if (this.bytes <= this.budgetBytes) break;
      this.drop(oldest);
    }
  }

  private drop(session: SimSession): void {
    const rendering = this.renderings.get(session);
    if (!rendering) return;
    this.renderings.delete(session);
    this.bytes -= rendering.bytes.length;
  }
}
