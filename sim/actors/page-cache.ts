// The host's own file reads (images, logs, the VMM's binaries): each operation reads `read`
// bytes into the host page cache as movable order-0 folios; kswapd and direct reclaim take them
// back in LRU order, re-read folios (`reread` of them) getting a second chance. This is the
// movable memory that interleaves with the tenants' unmovable restricted pages, so as VMs come
// and go, huge pages get scarce (sim/model/page-cache-load.ts). Gauge: host.page_cache_bytes.
import type { Process } from '../engine/index.js';
import type { PageCacheActor } from '../workload/types.js';
import type { OpsTally } from './ops-tally.js';
import { PageCacheLoad, page_cache_ra_unbounded } from '../model/index.js';
import { awaitArrival, rngFor, tallyFor, type ActorContext } from './context.js';
import { PAGE_SIZE } from '../units.js';

export function spawnPageCacheActor(ctx: ActorContext, a: PageCacheActor): void {
  const tally = tallyFor(ctx, a);
  ctx.sim.spawn(`host/${a.name}`, (p) => runReads(p, ctx, a, tally));
}

function* runReads(p: Process, ctx: ActorContext, a: PageCacheActor, tally: OpsTally) {
  yield ctx.ready;
  const pc = new PageCacheLoad(ctx.host, rngFor(ctx, a.name, 'reread'), {
    rereadFraction: a.rereadFraction,
    lowWatermarkPages: Math.floor(a.lowWatermarkBytes / PAGE_SIZE),
    highWatermarkPages: Math.floor(a.highWatermarkBytes / PAGE_SIZE),
  });
  ctx.host.pageCache = pc;
  if (a.startNs) yield p.sleep(a.startNs);
  const s = rngFor(ctx, a.name, 'arrivals');
  const gauge = ctx.sim.stats.gauge('host.page_cache_bytes');
  while (yield* awaitArrival(p, ctx, s, a, tally)) {
    yield* page_cache_ra_unbounded(p, pc, Math.floor(a.readBytes / PAGE_SIZE));
    gauge.set(pc.pages * PAGE_SIZE);
  }
  ctx.finished(p);
}
