// Hooks for Perfetto / Chrome trace export. The engine calls them only when a tracer is given.
export interface Tracer {
  span(track: string, name: string, startNs: number, endNs: number, args?: Record<string, unknown>): void;
  instant(track: string, name: string, tNs: number, args?: Record<string, unknown>): void;
  counter(track: string, name: string, tNs: number, value: number): void;
}
