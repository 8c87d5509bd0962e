//! The loop every background task that talks to another node shares (L1 watcher, batcher, deriver,
//! proposer, challengers, replica): run a step every interval; after a failure decide by the error's
//! [`ErrorClass`]: a temporary one is logged, counted and retried after twice the last wait (up to a
//! cap); a reset is retried at once (the step re-syncs from its known point); a critical one ends the
//! loop with that error, so the [`crate::TaskManager`] sees the task die instead of a silent retry.

use std::{future::Future, time::Duration};
use tokio::sync::{Notify, watch};

/// What a background service should do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// A peer was unreachable, slow or answered an error that may go away: retry with backoff.
    Temporary,
    /// The service's view no longer matches its peer (an L1 reorg, an L2 rewind): start again from a
    /// known point; the next step does so.
    Reset,
    /// Retrying cannot help (local storage failed, an invariant broke, a key was refused): stop the
    /// task and let its supervisor decide.
    Critical,
}

/// Errors that know their [`ErrorClass`]. Services classify their own error enums by variant (and
/// by the typed source inside, never by an error's text).
pub trait Classify {
    /// The class of this error.
    fn class(&self) -> ErrorClass;
}

/// How one task polls.
#[derive(Debug, Clone, Copy)]
pub struct Poll {
    /// Name in logs (`task` field).
    pub task: &'static str,
    /// Wait between successful steps.
    pub interval: Duration,
    /// Longest wait after repeated temporary failures.
    pub max_backoff: Duration,
    /// Counter incremented on each failed step.
    pub errors_metric: &'static str,
}

impl Poll {
    /// The usual L1-facing task: back off up to 30 s.
    pub fn new(task: &'static str, interval: Duration, errors_metric: &'static str) -> Self {
        Self { task, interval, max_backoff: Duration::from_secs(30), errors_metric }
    }

    /// Runs `step` until `shutdown` changes (`Ok`) or a step fails with a critical error (that error).
    pub async fn run<F, Fut, E>(self, shutdown: watch::Receiver<bool>, step: F) -> Result<(), E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::error::Error + Classify + 'static,
    {
        self.run_woken(shutdown, &Notify::new(), step).await
    }

    /// [`Self::run`], where `wake` starts the next step at once after a successful one (a peer's push:
    /// "there is news"); the interval is then only the fallback. A notification during a step is kept
    /// for the next wait. After a failure the backoff still applies.
    pub async fn run_woken<F, Fut, E>(
        self,
        mut shutdown: watch::Receiver<bool>,
        wake: &Notify,
        mut step: F,
    ) -> Result<(), E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::error::Error + Classify + 'static,
    {
        let mut wait = self.interval;
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            let succeeded = step().await;
            let woken = succeeded.is_ok();
            match succeeded {
                Ok(()) => wait = self.interval,
                Err(failure) => {
                    metrics::counter!(self.errors_metric).increment(1);
                    // Logged with its sources: "L1 RPC: error sending request: connection refused".
                    let error = crate::tasks::error_chain(&failure);
                    match failure.class() {
                        ErrorClass::Temporary => {
                            wait = (wait * 2).min(self.max_backoff);
                            tracing::warn!(task = self.task, %error, retry_in = ?wait, "step failed; retrying");
                        }
                        ErrorClass::Reset => {
                            wait = self.interval;
                            tracing::warn!(task = self.task, %error, "re-syncing from the last known point");
                        }
                        ErrorClass::Critical => {
                            tracing::error!(task = self.task, %error, "step failed; cannot continue");
                            return Err(failure);
                        }
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = wake.notified(), if woken => {}
                _ = shutdown.changed() => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Display;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Debug)]
    struct TestError(ErrorClass);
    impl std::error::Error for TestError {}
    impl Display for TestError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{:?}", self.0)
        }
    }
    impl Classify for TestError {
        fn class(&self) -> ErrorClass {
            self.0
        }
    }

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
                    0..=3 => Err(TestError(ErrorClass::Temporary)), // waits 40, 80, 80, 80 ms
                    5 => {
                        let _ = stop.send(true);
                        Ok(())
                    }
                    _ => Ok(()), // waits 20 ms
                }
            }
        });
        run.await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 6);
        // 40 + 80 + 80 + 80 ms after the failures (doubling, capped), 20 ms after the first success;
        // the step that asks for shutdown returns without waiting.
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(300 + 1000), "{elapsed:?}");
    }
}

#[cfg(test)]
mod wake_tests {
    use super::*;

    #[derive(Debug)]
    struct Never;
    impl std::error::Error for Never {}
    impl std::fmt::Display for Never {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("never")
        }
    }
    impl Classify for Never {
        fn class(&self) -> ErrorClass {
            ErrorClass::Temporary
        }
    }

    #[tokio::test]
    async fn a_wake_runs_the_next_step_at_once_and_none_is_lost() {
        let (stop, shutdown) = watch::channel(false);
        let stop = std::sync::Arc::new(stop);
        let wake = std::sync::Arc::new(Notify::new());
        // The interval is far longer than the test: every step after the first is a wake's doing.
        let poll = Poll::new("test", Duration::from_secs(60), "test_errors");
        let steps = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let (counted, notifier) = (steps.clone(), wake.clone());
        let started = std::time::Instant::now();
        let run = poll.run_woken(shutdown, &wake, move || {
            let n = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let notifier = notifier.clone();
            let stop = stop.clone();
            async move {
                match n {
                    // A push that arrives while a step runs is kept for the next wait.
                    0 | 1 => notifier.notify_one(),
                    _ => {
                        let _ = stop.send(true);
                    }
                }
                Ok::<(), Never>(())
            }
        });
        run.await.unwrap();
        assert_eq!(steps.load(std::sync::atomic::Ordering::SeqCst), 3);
        assert!(started.elapsed() < Duration::from_secs(5), "woken, not polled: {:?}", started.elapsed());
    }
}

#[cfg(test)]
mod class_tests {
    use super::*;
    use std::fmt::Display;

    #[derive(Debug)]
    struct Failure(ErrorClass);
    impl std::error::Error for Failure {}
    impl Display for Failure {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{:?}", self.0)
        }
    }
    impl Classify for Failure {
        fn class(&self) -> ErrorClass {
            self.0
        }
    }

    #[tokio::test]
    async fn critical_error_ends_the_loop_and_reset_retries_without_backoff() {
        let (_stop, shutdown) = watch::channel(false);
        let poll = Poll::new("test", Duration::from_millis(10), "test_errors");
        let mut steps = 0;
        let started = std::time::Instant::now();
        let result = poll
            .run(shutdown, || {
                steps += 1;
                let n = steps;
                async move {
                    match n {
                        1..=5 => Err(Failure(ErrorClass::Reset)),
                        6 => Ok(()),
                        _ => Err(Failure(ErrorClass::Critical)),
                    }
                }
            })
            .await;
        assert_eq!(result.unwrap_err().0, ErrorClass::Critical);
        assert_eq!(steps, 7, "the loop stops at the first critical error");
        // Five resets and one success wait one interval each: no doubling.
        assert!(started.elapsed() < Duration::from_millis(400), "{:?}", started.elapsed());
    }
}
