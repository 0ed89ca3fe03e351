/**
 * A binary min-heap: the reassembly finds the messages that have waited longest without scanning
 * every waiting message on every line, which made reading grow with the square of their number.
 */
export class MinHeap<T> {
  private items: T[] = [];

  /** `before(a, b)`: whether `a` comes out before `b`. */
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    this.items.push(item);
    this.siftUp(this.items.length - 1);
  }

  pop(): T | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (this.items.length > 0 && last !== undefined) {
      this.items[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /** Drops the items `keep` refuses, in time linear in the heap's size. */
  retain(keep: (item: T) => boolean): void {
    this.items = this.items.filter(keep);
    for (let at = (this.items.length >> 1) - 1; at >= 0; at--) this.siftDown(at);
  }

  private siftUp(at: number): void {
    const item = this.items[at];
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.before(item, this.items[parent])) break;
      this.items[at] = this.items[parent];
      at = parent;
    }
    this.items[at] = item;
  }

  private siftDown(at: number): void {
    const item = this.items[at];
    const length = this.items.length;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= length) break;
      if (child + 1 < length && this.before(this.items[child + 1], this.items[child])) child++;
      if (!this.before(this.items[child], item)) break;
      this.items[at] = this.items[child];
      at = child;
    }
    this.items[at] = item;
  }
}
