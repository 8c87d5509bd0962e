//! Process lifecycle shared by every `bai` service.
//!
//! Owns: the [`TaskManager`] that supervises long-running tasks (a critical task that panics or
//! returns an error is logged with its cause, counted, shown by [`Health`], and stops the process
//! with a non-zero exit code); the [`ErrorClass`] every background error is sorted into (temporary:
//! retry with backoff; reset: re-sync from a known point; critical: stop); the polling loop the
//! L1/L2-facing services share ([`Poll`]); waiting for SIGINT/SIGTERM; the client version string;
//! how outbound HTTP clients are built ([`http`]: every one has connect and request deadlines).
//!
//! Must not touch: any chain, storage or protocol type. It depends on no other `bai-*` crate, so every
//! crate may use it (see docs/architecture.md, layer 0).

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod health;
pub mod http;
mod poll;
mod signal;
mod tasks;

pub use health::{Health, HealthReport, TaskReport, TaskState};
pub use poll::{Classify, ErrorClass, Poll};
pub use signal::wait_for_signal;
pub use tasks::{TaskError, TaskExit, TaskManager, TaskPolicy};

/// `bai/v<version>/<os>-<arch>`, the string `web3_clientVersion` answers and banners print.
pub fn client_version() -> String {
    format!("bai/v{}/{}-{}", env!("CARGO_PKG_VERSION"), std::env::consts::OS, std::env::consts::ARCH)
}
