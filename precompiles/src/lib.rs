//! AI precompiles (issue "AI precompiles"): the gas schedule, ABI dispatch, witness replay and the
//! inference client/server.
//!
//! Nothing is implemented yet: the node reserves the precompile address
//! (`bai_chainspec::predeploys::AI_PRECOMPILE`) and the witness-store predeploy so that adding the
//! precompile later does not change genesis.
