//! What the node reports about its tasks: `bai_health` over JSON-RPC, `GET /health`, and the
//! `bai_task_up` / `bai_healthy` gauges.

use parking_lot::RwLock;
use serde::Serialize;
use std::{collections::BTreeMap, sync::Arc};

/// The state of one supervised task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum TaskState {
    /// Running (or restarting after a failure, when its policy allows).
    Running,
    /// Ended because the node is shutting down.
    Stopped,
    /// Ended with an error or a panic (the cause, with its sources).
    Failed {
        /// The error chain or panic message.
        error: String,
    },
}

/// One task's line in the health report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskReport {
    /// Task name (`sequencer`, `derive`, `batcher`, …).
    pub name: String,
    /// Whether its failure stops the node.
    pub critical: bool,
    /// Current state.
    #[serde(flatten)]
    pub state: TaskState,
    /// How often it was restarted after a failure.
    pub restarts: u64,
}

/// The node's health: every supervised task and whether all critical ones are running.
#[derive(Debug, Clone, Default)]
pub struct Health {
    tasks: Arc<RwLock<BTreeMap<String, TaskReport>>>,
}

/// A snapshot of [`Health`], as `bai_health` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    /// No critical task has failed.
    pub healthy: bool,
    /// Every task, by name.
    pub tasks: Vec<TaskReport>,
}

impl Health {
    /// A snapshot: healthy unless a critical task failed.
    pub fn report(&self) -> HealthReport {
        let tasks: Vec<TaskReport> = self.tasks.read().values().cloned().collect();
        let healthy = !tasks.iter().any(|t| t.critical && matches!(t.state, TaskState::Failed { .. }));
        HealthReport { healthy, tasks }
    }

    /// Whether no critical task has failed.
    pub fn is_healthy(&self) -> bool {
        self.report().healthy
    }

    pub(crate) fn register(&self, name: &str, critical: bool) {
        self.tasks.write().insert(
            name.to_string(),
            TaskReport { name: name.to_string(), critical, state: TaskState::Running, restarts: 0 },
        );
        metrics::gauge!("bai_task_up", "task" => name.to_string()).set(1.0);
    }

    pub(crate) fn set(&self, name: &str, state: TaskState) {
        let up = matches!(state, TaskState::Running);
        if let Some(task) = self.tasks.write().get_mut(name) {
            task.state = state;
        }
        metrics::gauge!("bai_task_up", "task" => name.to_string()).set(if up { 1.0 } else { 0.0 });
        metrics::gauge!("bai_healthy").set(if self.is_healthy() { 1.0 } else { 0.0 });
    }

    pub(crate) fn restarted(&self, name: &str) {
        if let Some(task) = self.tasks.write().get_mut(name) {
            task.restarts += 1;
            task.state = TaskState::Running;
        }
        metrics::gauge!("bai_task_up", "task" => name.to_string()).set(1.0);
    }
}
