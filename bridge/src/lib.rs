//! Rollup plumbing (issue "Rollup proper"): the L1 watcher (deposits), the batcher (channels,
//! frames, blobs) and derivation (verifier mode).
//!
//! Nothing is implemented yet; the sequencer already opens every block with the L1-attributes
//! deposit (synthetic L1 in dev mode) that derivation will later fill from real L1 data.
