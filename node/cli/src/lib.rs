//! The user-facing commands of the `bai` binary besides `node` and `devnet`.
//!
//! Owns: `bai bridge` ([`bridge`]: deposit, withdraw, prove, finalize, status), `bai gov` ([`gov`]:
//! delegate, propose, vote, queue, execute, status of L1 governance proposals), `bai model`
//! ([`model`]: list, quote, call the chain's models), `bai infer` ([`infer`]: the inference server
//! and model tools). Must not touch: a node's internals; everything goes through the JSON-RPC a user
//! has (L1, L2, inference) and the published contract ABIs.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod bridge;
pub mod gov;
pub mod infer;
pub mod model;
