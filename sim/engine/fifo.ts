// A FIFO queue on a growable ring buffer (run queue, lock wait lists): O(1) push/shift,
// O(n) removal of an arbitrary element (interrupts and cancellations only).

export class Fifo<T> {
  private buf: (T | undefined)[] = new Array(8);
  private head = 0;
  length = 0;

  push(x: T): void {
    if (this.length === this.buf.length) this.grow();
    this.buf[(this.head + this.length) & (this.buf.length - 1)] = x;
    this.length++;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const x = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.length--;
    return x;
  }

  peek(): T | undefined {
    return this.length === 0 ? undefined : this.buf[this.head];
  }

  at(i: number): T {
    return this.buf[(this.head + i) & (this.buf.length - 1)] as T;
  }

  /** Remove the first occurrence of x; returns whether it was there. */
  remove(x: T): boolean {
    const mask = this.buf.length - 1;
    for (let i = 0; i < this.length; i++) {
      if (this.buf[(this.head + i) & mask] === x) {
        for (let j = i; j < this.length - 1; j++) this.buf[(this.head + j) & mask] = this.buf[(this.head + j + 1) & mask];
        this.buf[(this.head + this.length - 1) & mask] = undefined;
        this.length--;
        return true;
      }
    }
    return false;
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.at(i));
    return out;
  }

  private grow(): void {
    const n = this.buf.length * 2;
    const b: (T | undefined)[] = new Array(n);
    for (let i = 0; i < this.length; i++) b[i] = this.at(i);
    this.buf = b;
    this.head = 0;
  }
}
