// Scaled-down overrides per built-in workload, so the default tests run every workload under
// every variant in seconds; RMSIM_LONG runs them at their shipped sizes.
export const SMALL: Record<string, string[]> = {
  'vm-boot': ['vms.memory=4MiB', 'host.memory=256MiB'],
  'conversion-storm': ['duration=2ms', 'host.memory=512MiB'],
  'balloon': ['duration=2ms', 'host.memory=512MiB'],
  'memslot-churn': ['duration=2ms', 'host.memory=512MiB'],
  'memory-failure': ['duration=3ms', 'host.memory=512MiB', 'vms.count=4'],
  'multi-vm-host': ['duration=5ms', 'host.memory=512MiB'],
  'selftest-guest-memfd': ['actors.punch-refill.ops=20', 'host.memory=256MiB'],
  'selftest-private-mem-conversions': ['actors.convert.ops=5', 'actors.region-punch.ops=2', 'host.memory=256MiB'],
  'intra-host-migration': ['duration=2ms', 'host.memory=512MiB'],
};

export const LONG = !!process.env.RMSIM_LONG;

export function setsFor(name: string): string[] {
  return LONG ? [] : (SMALL[name] ?? []);
}
