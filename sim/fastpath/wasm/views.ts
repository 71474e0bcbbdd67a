// Typed views of an instance's OUT buffer, renewed whenever memory.grow detached the old ones.
import type { RmsimExports } from './module.js';

export class OutViews {
  private buf: ArrayBuffer | undefined;
  private u32v = new Uint32Array(0);
  private i32v = new Int32Array(0);
  private f64v = new Float64Array(0);
  readonly base: number;

  constructor(private readonly x: RmsimExports) {
    this.base = x.out_ptr();
  }

  private renew(): void {
    const b = this.x.memory.buffer;
    if (b === this.buf) return;
    this.buf = b;
    this.u32v = new Uint32Array(b, this.base, 16384);
    this.i32v = new Int32Array(b, this.base, 16384);
    this.f64v = new Float64Array(b, this.base, 8192);
  }

  get u32(): Uint32Array { this.renew(); return this.u32v; }
  get i32(): Int32Array { this.renew(); return this.i32v; }
  get f64(): Float64Array { this.renew(); return this.f64v; }
}
