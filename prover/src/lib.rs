//! Settlement (issue "Settlement"): output roots, withdrawal proofs, the proposer and challenger.
//!
//! Nothing is implemented yet; the node already commits the message passer's storage root in
//! each header (`withdrawalsRoot`, Isthmus) and serves `eth_getProof` at the head.
