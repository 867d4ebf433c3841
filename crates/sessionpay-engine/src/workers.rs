//! The engine's one way of sharing work over threads: a queue of items taken
//! in order by whichever worker is free, used by the parallel read (CSV
//! parts) and by the inference (rates).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Items handed out in order to whichever worker asks.
pub(crate) struct Queue<'a, T> {
    items: &'a [T],
    next: AtomicUsize,
    /// A worker met something that ends the work: the others stop taking.
    stopped: AtomicBool,
}

impl<'a, T> Queue<'a, T> {
    pub(crate) fn new(items: &'a [T]) -> Queue<'a, T> {
        Queue {
            items,
            next: AtomicUsize::new(0),
            stopped: AtomicBool::new(false),
        }
    }

    /// The next item and its index, or `None` when all are taken or the work stopped.
    pub(crate) fn take(&self) -> Option<(usize, &'a T)> {
        if self.stopped.load(Ordering::Relaxed) {
            return None;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        self.items.get(i).map(|item| (i, item))
    }

    /// No worker takes another item.
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }
}

/// Runs `work` on `threads` scoped threads (at least one) and gives each
/// one's result, or its panic, in thread order.
pub(crate) fn on_threads<R: Send>(
    threads: usize,
    work: impl Fn() -> R + Sync,
) -> Vec<std::thread::Result<R>> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.max(1)).map(|_| scope.spawn(&work)).collect();
        handles.into_iter().map(|h| h.join()).collect()
    })
}

/// `f` over every item on up to `threads` threads; the results in item order.
/// A panic in `f` goes on in the caller.
pub(crate) fn map_items<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let queue = Queue::new(items);
    let done = on_threads(threads.min(items.len()).max(1), || {
        let mut done = Vec::new();
        while let Some((i, item)) = queue.take() {
            done.push((i, f(item)));
        }
        done
    });
    let mut results: Vec<Option<R>> = items.iter().map(|_| None).collect();
    for (i, r) in done
        .into_iter()
        .flat_map(|d| d.unwrap_or_else(|p| std::panic::resume_unwind(p)))
    {
        results[i] = Some(r);
    }
    results.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_mapped_once_and_in_order_whatever_the_threads() {
        let items: Vec<u32> = (0..100).collect();
        for threads in [1, 2, 7, 200] {
            let out = map_items(&items, threads, |n| n * 2);
            assert_eq!(out, (0..100).map(|n| n * 2).collect::<Vec<_>>());
        }
        assert!(map_items(&[] as &[u32], 4, |n| *n).is_empty());
    }

    #[test]
    fn a_stopped_queue_hands_out_nothing_more() {
        let items = [1, 2, 3];
        let queue = Queue::new(&items);
        assert_eq!(queue.take(), Some((0, &1)));
        queue.stop();
        assert_eq!(queue.take(), None);
    }
}
