//! The loop every background task that talks to another node shares (L1 watcher, batcher, replica):
//! run a step every interval; after a failure log it, count it and wait twice as long each time, up
//! to a cap; stop at shutdown.

use std::{fmt::Display, future::Future, time::Duration};
use tokio::sync::watch;

/// How one task polls.
#[derive(Debug, Clone, Copy)]
pub struct Poll {
    /// Name in logs (`task` field).
    pub task: &'static str,
    pub interval: Duration,
    pub max_backoff: Duration,
    /// Counter incremented on each failed step.
    pub errors_metric: &'static str,
}

impl Poll {
    /// The usual L1-facing task: back off up to 30 s.
    pub fn new(task: &'static str, interval: Duration, errors_metric: &'static str) -> Self {
        Self { task, interval, max_backoff: Duration::from_secs(30), errors_metric }
    }

    /// Runs `step` until `shutdown` changes.
    pub async fn run<F, Fut, E>(self, mut shutdown: watch::Receiver<bool>, mut step: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Display,
    {
        let mut wait = self.interval;
        loop {
            if *shutdown.borrow() {
                return;
            }
            match step().await {
                Ok(()) => wait = self.interval,
                Err(error) => {
                    wait = (wait * 2).min(self.max_backoff);
                    tracing::warn!(task = self.task, %error, retry_in = ?wait, "step failed; retrying");
                    metrics::counter!(self.errors_metric).increment(1);
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn backs_off_after_failures_and_resets_after_success() {
        let calls = AtomicU32::new(0);
        let (stop, shutdown) = watch::channel(false);
        let poll = Poll {
            task: "test",
            interval: Duration::from_millis(20),
            max_backoff: Duration::from_millis(80),
            errors_metric: "test_errors",
        };
        let started = std::time::Instant::now();
        let stop = &stop;
        let run = poll.run(shutdown, || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                match n {
                    0..=3 => Err("down"), // waits 40, 80, 80, 80 ms
                    5 => {
                        let _ = stop.send(true);
                        Ok(())
                    }
                    _ => Ok(()), // waits 20 ms
                }
            }
        });
        run.await;
        assert_eq!(calls.load(Ordering::SeqCst), 6);
        // 40 + 80 + 80 + 80 ms after the failures (doubling, capped), 20 ms after the first success;
        // the step that asks for shutdown returns without waiting.
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(300 + 1000), "{elapsed:?}");
    }
}
