//! The gas schedule: `baseGas + gasPerInputByte × inputBytes + gasPerUnit × units`, with the model's
//! parameters from the registry. The worst case (maximum units) must be covered before a backend is
//! asked; the charge uses the units actually produced.

use crate::registry::ModelEntry;

/// What every refusal and every failed inference costs, in every mode (sequencing, replay, call):
/// covers the registry and witness reads, and is the same everywhere so failures replay identically.
pub const REFUSAL_GAS: u64 = 5_000;

/// What `quote` costs.
pub const QUOTE_GAS: u64 = 2_600;

/// Fixed part of verifying a zk model's proof.
pub const ZK_VERIFY_BASE_GAS: u64 = 400_000;

/// Per circuit row of verifying a zk model's proof.
pub const ZK_VERIFY_GAS_PER_ROW: u64 = 250;

/// What verifying a proof over a circuit of `rows` rows costs. Measured on 2 cores (release), an IPA
/// verification takes about 7 ms plus 4.6 µs per row (the generators' multi-scalar multiplication):
/// 9.6 ms at 2^9 rows, 44.5 ms at 2^13 (docs/benchmarks.md). Priced like ecrecover (3,000 gas for
/// ~55 µs, ~55 gas per µs), so a block full of proofs takes as long as a block full of signatures.
pub fn verify_gas(rows: u64) -> u64 {
    ZK_VERIFY_BASE_GAS.saturating_add(ZK_VERIFY_GAS_PER_ROW.saturating_mul(rows))
}

/// Gas for `units` units over `input_bytes` bytes of input, saturating (parameters come from
/// contract storage and must never overflow the node).
pub fn charge(model: &ModelEntry, input_bytes: u64, units: u64) -> u64 {
    model
        .base_gas
        .saturating_add((model.gas_per_input_byte as u64).saturating_mul(input_bytes))
        .saturating_add(model.gas_per_unit.saturating_mul(units))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_is_linear_and_saturates() {
        let model = ModelEntry { base_gas: 50_000, gas_per_unit: 500, gas_per_input_byte: 16, ..Default::default() };
        assert_eq!(charge(&model, 0, 0), 50_000);
        assert_eq!(charge(&model, 10, 3), 50_000 + 160 + 1_500);
        let huge = ModelEntry { base_gas: u64::MAX, gas_per_unit: u64::MAX, ..Default::default() };
        assert_eq!(charge(&huge, 1, 1), u64::MAX);
    }

    #[test]
    fn proof_verification_grows_with_the_circuit() {
        assert_eq!(verify_gas(512), 400_000 + 250 * 512);
        assert!(verify_gas(1 << 16) < 30_000_000, "the largest circuit fits a block");
        assert_eq!(verify_gas(u64::MAX), u64::MAX);
    }
}
