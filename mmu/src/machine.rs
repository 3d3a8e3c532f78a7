//! [`MachineMemory`]: what a machine, not a process, owns — the frames, the page cache
//! with its storage device, swap, the memory limit, and the daemons' counters — shared by
//! `Arc` among every address space of a run (a process's own space, its fork children's,
//! the one execve builds).
//!
//! Reclaim and the reverse mappings work on memory, not on one process: they reach every
//! space still alive through the machine's list of its spaces ([`MachineMemory::spaces`]),
//! kept as weak references in creation order, so that they walk spaces in a fixed order.
//! The machine sits below the address spaces' state (`mm_core`), so the list holds them
//! as `Any` and hands them back as the type they were registered as.

use crate::config::MmConfig;
use crate::frames::FramePool;
use crate::pagecache::{CacheConfig, PageCache};
use crate::shmem::SharedAnon;
use crate::stats::{Daemon, HartStats};
use crate::swap::Swap;
use devices::storage::{DeviceConfig, ErrorInjection};
use parking_lot::Mutex;
use std::any::Any;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

/// The memory of one machine: frames, page cache, swap and the daemons' counters, and the
/// address spaces built on it.
pub struct MachineMemory {
    /// What the machine was configured with (its `frame_pool_bytes`, `cache` and `clock`
    /// are the machine's; every space built on it shares them).
    cfg: MmConfig,
    frames: Arc<FramePool>,
    page_cache: PageCache,
    /// Swap for anonymous memory, when configured.
    swap: Option<Arc<Swap>>,
    /// The spaces built on this machine, in creation order; dead ones are pruned as they
    /// are met.
    spaces: Mutex<Vec<Weak<dyn Any + Send + Sync>>>,
    /// Final VMA generations of the spaces gone, plus one per space ever registered: with
    /// the live spaces' generations it makes the machine's generation of mappings move
    /// whenever any space's mappings change, and never go back.
    retired_generations: AtomicU64,
    /// Stats of each background thread, in [`Daemon::ALL`] order.
    daemon_stats: [HartStats; Daemon::ALL.len()],
}

impl std::fmt::Debug for MachineMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MachineMemory")
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

impl Drop for MachineMemory {
    /// The daemons hold only weak references: wake them so they see the machine is gone
    /// and end now, rather than at their next period (a run that creates many machines
    /// would otherwise pile up sleeping threads).
    fn drop(&mut self) {
        self.page_cache.dirty().wake.unpark();
        self.page_cache.kswapd_wake().unpark();
    }
}

impl MachineMemory {
    /// The memory of a machine configured as `cfg` (its frame pool, page cache and swap
    /// parts), with no space yet and no daemon started.
    pub(crate) fn new(cfg: &MmConfig) -> io::Result<MachineMemory> {
        let frames = Arc::new(FramePool::new(cfg.frame_pool_bytes)?);
        let limited = cfg.cache.mem_limit.is_some();
        Ok(MachineMemory {
            page_cache: PageCache::new(frames.clone(), &cfg.cache, &cfg.clock)?,
            swap: match cfg.cache.swap {
                None => None,
                Some(bytes) => Some(Arc::new(Swap::new(
                    bytes,
                    swap_device(&cfg.cache),
                    cfg.clock.clone(),
                    limited,
                )?)),
            },
            frames,
            spaces: Mutex::new(Vec::new()),
            retired_generations: AtomicU64::new(0),
            daemon_stats: Default::default(),
            cfg: cfg.clone(),
        })
    }

    /// The configuration the machine was created with.
    pub(crate) fn config(&self) -> &MmConfig {
        &self.cfg
    }

    /// Whether reclaim runs (a memory limit is set): only then is a kswapd started.
    pub(crate) fn is_limited(&self) -> bool {
        self.cfg.cache.mem_limit.is_some()
    }

    /// The frames every space's pages live in.
    pub(crate) fn frames(&self) -> &Arc<FramePool> {
        &self.frames
    }

    /// The page cache of the machine's files.
    pub(crate) fn page_cache(&self) -> &PageCache {
        &self.page_cache
    }

    /// Swap for anonymous memory, when configured.
    pub(crate) fn swap(&self) -> Option<&Swap> {
        self.swap.as_deref()
    }

    /// A new shared anonymous memory object, whose pages may go to the machine's swap.
    pub(crate) fn new_shared_anon(&self) -> SharedAnon {
        SharedAnon::with_swap(self.frames.clone(), self.swap.clone())
    }

    /// The stats of daemon `d`.
    pub(crate) fn daemon_stats(&self, d: Daemon) -> &HartStats {
        &self.daemon_stats[d as usize]
    }

    /// Adds `space` to the machine's spaces (last: they are kept in creation order).
    pub(crate) fn register<S: Any + Send + Sync>(&self, space: Arc<S>) {
        self.retired_generations.fetch_add(1, Ordering::Relaxed);
        let space: Arc<dyn Any + Send + Sync> = space;
        self.spaces.lock().push(Arc::downgrade(&space));
    }

    /// Notes that a space whose VMA generation ended at `generation` is gone.
    pub(crate) fn retire(&self, generation: u64) {
        self.retired_generations
            .fetch_add(generation, Ordering::Relaxed);
    }

    /// What [`MachineMemory::retire`] and [`MachineMemory::register`] added up.
    pub(crate) fn retired_generations(&self) -> u64 {
        self.retired_generations.load(Ordering::Relaxed)
    }

    /// The spaces of type `S` alive now, in creation order.
    pub(crate) fn spaces<S: Any + Send + Sync>(&self) -> Vec<Arc<S>> {
        let mut list = self.spaces.lock();
        list.retain(|w| w.strong_count() > 0);
        list.iter()
            .filter_map(Weak::upgrade)
            .filter_map(|s| s.downcast::<S>().ok())
            .collect()
    }

    /// The oldest space of type `S` alive, on whose behalf the daemons work (their
    /// passes reach every space through the reverse mappings); `None` once none is.
    pub(crate) fn first_space<S: Any + Send + Sync>(&self) -> Option<Arc<S>> {
        let list = self.spaces.lock();
        list.iter()
            .filter_map(Weak::upgrade)
            .find_map(|s| s.downcast::<S>().ok())
    }
}

/// The swap device: the page cache's device model, minus injected errors (swapped-out
/// pages must come back); the default device model when the cache has none.
fn swap_device(cache: &CacheConfig) -> DeviceConfig {
    let mut cfg = cache.device.clone().unwrap_or_default();
    cfg.errors = ErrorInjection::never();
    cfg
}

#[cfg(test)]
mod tests;
