//! The task manager: every long-running task of a node is spawned through it, so none can fail
//! silently.
//!
//! A task ends in one of three ways: the node asked it to stop (fine), it returned an error or
//! panicked (a failure), or it returned `Ok` while nobody asked it to stop (also a failure: a
//! deriver or batcher that quietly stops is the failure this exists to catch). A failed
//! [`TaskPolicy::Critical`] task is logged with its cause, marked failed in [`Health`], counted in
//! `bai_task_failures_total{task}`, and ends [`TaskManager::run_until_shutdown`] with an error, so
//! the process exits non-zero. A [`TaskPolicy::Restart`] task is restarted after a backoff instead.

use crate::health::{Health, TaskState};
use futures::FutureExt;
use std::{future::Future, panic::AssertUnwindSafe, time::Duration};
use tokio::{
    sync::{mpsc, watch},
    task::JoinHandle,
};

/// Any error a task may end with; its `source()` chain is kept for the report.
pub type TaskError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What happens when a task fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskPolicy {
    /// The node cannot do its job without it: stop the node, exit non-zero.
    Critical,
    /// Restart it after `backoff` (doubling up to 30 s on repeated failures); the node stays up.
    Restart {
        /// Wait before the first restart.
        backoff: Duration,
    },
}

/// A critical task's failure: the reason the node stopped.
#[derive(Debug, thiserror::Error)]
#[error("critical task `{task}` failed: {cause}")]
pub struct TaskExit {
    /// The task's name.
    pub task: String,
    /// Its error chain or panic message.
    pub cause: String,
}

/// Owns every long-running task of a process.
#[derive(Debug)]
pub struct TaskManager {
    health: Health,
    shutdown_tx: watch::Sender<bool>,
    shutdown_rx: watch::Receiver<bool>,
    failures_tx: mpsc::UnboundedSender<TaskExit>,
    failures_rx: mpsc::UnboundedReceiver<TaskExit>,
    monitors: Vec<(String, JoinHandle<()>)>,
}

impl Default for TaskManager {
    fn default() -> Self {
        Self::new()
    }
}

impl TaskManager {
    /// An empty manager.
    pub fn new() -> Self {
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (failures_tx, failures_rx) = mpsc::unbounded_channel();
        Self { health: Health::default(), shutdown_tx, shutdown_rx, failures_tx, failures_rx, monitors: Vec::new() }
    }

    /// The signal every task watches: it turns `true` when the node stops.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown_rx.clone()
    }

    /// The health view (shared: it keeps changing after this call).
    pub fn health(&self) -> Health {
        self.health.clone()
    }

    /// Spawns a task whose failure stops the node.
    pub fn spawn_critical<F, E>(&mut self, name: &str, task: F)
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<TaskError> + Send + 'static,
    {
        let mut once = Some(task);
        self.spawn_supervised(name, TaskPolicy::Critical, move || {
            once.take().expect("a critical task is never restarted")
        });
    }

    /// Spawns a task built by `make`, with `policy` deciding what a failure does. `make` is called
    /// again for each restart.
    pub fn spawn_supervised<M, F, E>(&mut self, name: &str, policy: TaskPolicy, mut make: M)
    where
        M: FnMut() -> F + Send + 'static,
        F: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<TaskError> + Send + 'static,
    {
        let name = name.to_string();
        self.health.register(&name, policy == TaskPolicy::Critical);
        let health = self.health.clone();
        let failures = self.failures_tx.clone();
        let mut shutdown = self.shutdown_rx.clone();
        let task_name = name.clone();
        let monitor = tokio::spawn(async move {
            let name = task_name;
            let mut backoff = match policy {
                TaskPolicy::Restart { backoff } => backoff,
                TaskPolicy::Critical => Duration::ZERO,
            };
            loop {
                let outcome = tokio::spawn(AssertUnwindSafe(make()).catch_unwind()).await;
                let stopping = *shutdown.borrow();
                let cause = match outcome {
                    Ok(Ok(Ok(()))) if stopping => None,
                    Ok(Ok(Ok(()))) => Some("stopped although the node was not shutting down".to_string()),
                    Ok(Ok(Err(error))) => Some(error_chain(&*error.into())),
                    Ok(Err(panic)) => Some(format!("panicked: {}", panic_message(&*panic))),
                    Err(join) => Some(format!("aborted: {join}")),
                };
                let Some(cause) = cause else {
                    health.set(&name, TaskState::Stopped);
                    return;
                };
                metrics::counter!("bai_task_failures_total", "task" => name.clone()).increment(1);
                match policy {
                    TaskPolicy::Critical => {
                        tracing::error!(target: "tasks", task = %name, %cause, "critical task failed; stopping the node");
                        health.set(&name, TaskState::Failed { error: cause.clone() });
                        let _ = failures.send(TaskExit { task: name, cause });
                        return;
                    }
                    TaskPolicy::Restart { .. } => {
                        if stopping {
                            health.set(&name, TaskState::Stopped);
                            return;
                        }
                        tracing::warn!(target: "tasks", task = %name, %cause, restart_in = ?backoff, "task failed; restarting");
                        health.set(&name, TaskState::Failed { error: cause });
                        tokio::select! {
                            _ = tokio::time::sleep(backoff) => {}
                            _ = shutdown.changed() => {
                                health.set(&name, TaskState::Stopped);
                                return;
                            }
                        }
                        backoff = (backoff * 2).min(Duration::from_secs(30));
                        health.restarted(&name);
                    }
                }
            }
        });
        self.monitors.push((name, monitor));
    }

    /// Runs until `signal` resolves (a clean stop: `Ok`) or a critical task fails (`Err` with its
    /// cause). Either way every task is then told to stop and given `grace` to finish.
    pub async fn run_until_shutdown(
        mut self,
        signal: impl Future<Output = ()>,
        grace: Duration,
    ) -> Result<(), TaskExit> {
        let result = tokio::select! {
            _ = signal => Ok(()),
            Some(failure) = self.failures_rx.recv() => Err(failure),
        };
        self.shutdown(grace).await;
        result
    }

    /// Tells every task to stop and waits up to `grace` for them; tasks still running then are
    /// left to the runtime's shutdown (named in a warning).
    pub async fn shutdown(&mut self, grace: Duration) {
        let _ = self.shutdown_tx.send(true);
        let deadline = tokio::time::Instant::now() + grace;
        for (name, monitor) in self.monitors.drain(..) {
            if tokio::time::timeout_at(deadline, monitor).await.is_err() {
                tracing::warn!(target: "tasks", task = %name, ?grace, "task did not stop in time");
            }
        }
    }
}

/// `error: source: source…`, the way `anyhow`'s `{:#}` prints.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(next) = source {
        let text = next.to_string();
        // Some errors repeat their source in their own message; print each text once.
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = next.source();
    }
    out
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    };

    #[derive(Debug, thiserror::Error)]
    #[error("writing progress")]
    struct Outer(#[source] std::io::Error);

    #[tokio::test]
    async fn a_failed_critical_task_stops_everything_with_its_cause() {
        let mut tasks = TaskManager::new();
        let health = tasks.health();
        let mut shutdown = tasks.shutdown_signal();
        let stopped_cleanly = Arc::new(AtomicU32::new(0));
        let seen = stopped_cleanly.clone();
        tasks.spawn_critical("sequencer", async move {
            let _ = shutdown.changed().await;
            seen.fetch_add(1, Ordering::SeqCst);
            Ok::<_, TaskError>(())
        });
        tasks.spawn_critical("batcher", async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Err(Outer(std::io::Error::other("disk full")))
        });
        let exit = tasks.run_until_shutdown(std::future::pending(), Duration::from_secs(5)).await.unwrap_err();
        assert_eq!(exit.task, "batcher");
        assert_eq!(exit.cause, "writing progress: disk full");
        assert_eq!(stopped_cleanly.load(Ordering::SeqCst), 1, "the other task was told to stop and did");
        let report = health.report();
        assert!(!report.healthy);
        let states: Vec<_> = report.tasks.iter().map(|t| (t.name.as_str(), t.state.clone())).collect();
        assert_eq!(
            states,
            vec![
                ("batcher", TaskState::Failed { error: "writing progress: disk full".into() }),
                ("sequencer", TaskState::Stopped)
            ]
        );
    }

    #[tokio::test]
    async fn panics_and_silent_returns_are_failures() {
        let mut tasks = TaskManager::new();
        tasks.spawn_critical("deriver", async {
            if true {
                panic!("index out of bounds");
            }
            Ok::<_, TaskError>(())
        });
        let exit = tasks.run_until_shutdown(std::future::pending(), Duration::from_secs(5)).await.unwrap_err();
        assert_eq!((exit.task.as_str(), exit.cause.as_str()), ("deriver", "panicked: index out of bounds"));

        let mut tasks = TaskManager::new();
        tasks.spawn_critical("proposer", async { Ok::<_, TaskError>(()) });
        let exit = tasks.run_until_shutdown(std::future::pending(), Duration::from_secs(5)).await.unwrap_err();
        assert_eq!(exit.cause, "stopped although the node was not shutting down");
    }

    #[tokio::test]
    async fn a_restartable_task_is_restarted_and_the_node_stays_healthy() {
        let mut tasks = TaskManager::new();
        let health = tasks.health();
        let runs = Arc::new(AtomicU32::new(0));
        let counter = runs.clone();
        let shutdown = tasks.shutdown_signal();
        tasks.spawn_supervised("follower", TaskPolicy::Restart { backoff: Duration::from_millis(5) }, move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let mut shutdown = shutdown.clone();
            async move {
                if n < 2 {
                    return Err(TaskError::from("feed closed"));
                }
                let _ = shutdown.changed().await;
                Ok(())
            }
        });
        let stop = async {
            while runs.load(Ordering::SeqCst) < 3 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tasks.run_until_shutdown(stop, Duration::from_secs(5)).await.unwrap();
        let report = health.report();
        assert!(report.healthy);
        assert_eq!(report.tasks[0].restarts, 2);
        assert_eq!(report.tasks[0].state, TaskState::Stopped);
    }
}
