//! Builds and runs a `bai node` from its configuration.
//!
//! Owns: the node's arguments and TOML configuration ([`config`]), choosing the node's mode
//! (sequencer, verifier, replica), wiring the components (store, pool, sequencer, L1 watcher,
//! deriver, batcher, proposer, challengers, RPC, metrics) and spawning every long-running one on a
//! [`bai_runtime::TaskManager`], the replica follower ([`follow`]) and the startup banner.
//! Must not touch: block building, storage, the RPC methods or the bridge protocol themselves; it
//! only configures and connects the crates that own them.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod cluster;
pub mod config;
pub mod follow;
mod l1;
mod node;

pub use config::{NodeArgs, NodeConfig};
pub use node::run;
