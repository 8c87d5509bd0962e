//! (k) Zero-knowledge proofs of `bai-tensor-v1` models (`bai-zk`): key generation, prove and verify
//! time, proof and key size, next to plain inference of the same model on the same inputs in the
//! same run. Models: the shipped topic classifier (384 → 8) and a larger MLP (384 → 256 → 64 → 8,
//! ReLU, seeded weights of scale 1/√fan-in).

use bai_inference::tensor::{Activation, DenseLayer, Manifest, SCALE, TensorModel};
use serde_json::json;
use std::{path::Path, time::Instant};

const PROOFS: usize = 5;
const VERIFIES: usize = 30;

/// SplitMix64: seeded weights and features, the same every run.
struct Rng(u64);
impl Rng {
    fn int(&mut self, bound: i64) -> i32 {
        ((bai_reference::kernels::splitmix64(&mut self.0) % (2 * bound as u64 + 1)) as i64 - bound) as i32
    }
}

fn mlp(dims: &[usize]) -> TensorModel {
    let mut rng = Rng(2026);
    let layers = dims
        .windows(2)
        .enumerate()
        .map(|(i, pair)| {
            // Uniform in ±√(3/fan-in): unit variance per output, as a trained layer roughly has.
            let bound = ((3.0 / pair[0] as f64).sqrt() * SCALE as f64) as i64;
            DenseLayer {
                name: format!("fc{i}"),
                inputs: pair[0],
                outputs: pair[1],
                weight: (0..pair[0] * pair[1]).map(|_| rng.int(bound)).collect(),
                bias: (0..pair[1]).map(|_| rng.int(bound / 10)).collect(),
            }
        })
        .collect();
    let manifest = Manifest {
        format: bai_inference::tensor::FORMAT.into(),
        input_dim: dims[0],
        layers: vec![],
        activation: Activation::Relu,
        labels: vec![],
        description: "benchmark MLP".into(),
    };
    TensorModel::from_layers(manifest, layers).expect("the benchmark MLP chains")
}

fn median_ms(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn measure(name: &str, model: &TensorModel) -> serde_json::Value {
    let mut rng = Rng(7);
    // Features at the scale of a unit embedding ×10⁶ (|x| ≲ 0.15).
    let inputs: Vec<Vec<i32>> =
        (0..PROOFS).map(|_| (0..model.manifest().input_dim).map(|_| rng.int(150_000)).collect()).collect();
    let setup = bai_zk::Setup::new();
    let started = Instant::now();
    let prover = bai_zk::Prover::new(model, &setup).expect("the model is provable");
    let keygen_ms = started.elapsed().as_secs_f64() * 1e3; // includes deriving the generators once
    let key = prover.verifying_key();

    let plain_ms: Vec<f64> = (0..200)
        .map(|i| {
            let started = Instant::now();
            std::hint::black_box(model.evaluate(&inputs[i % PROOFS]).unwrap());
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let (mut prove_ms, mut verify_ms, mut size) = (Vec::new(), Vec::new(), 0);
    for x in &inputs {
        let started = Instant::now();
        let proved = prover.prove(x).unwrap();
        prove_ms.push(started.elapsed().as_secs_f64() * 1e3);
        assert_eq!(proved.scores, model.evaluate(x).unwrap().scores, "the proof's scores are the reference's");
        size = proved.proof.len();
        for _ in 0..VERIFIES / PROOFS {
            let started = Instant::now();
            bai_zk::verify(&setup, key, x, &proved.scores, &proved.proof).expect("an honest proof verifies");
            verify_ms.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
    let (plain, prove, verify) = (median_ms(plain_ms), median_ms(prove_ms), median_ms(verify_ms));
    println!(
        "    {name:<28} 2^{} rows, {} lanes: plain {plain:.3} ms, prove {prove:.0} ms ({:.0}×), verify {verify:.2} ms, \
         proof {size} B, key {} B, keygen {keygen_ms:.0} ms",
        key.degree(),
        key.lanes(),
        prove / plain,
        key.to_bytes().len()
    );
    json!({
        "model": name, "degree": key.degree(), "lanes": key.lanes(), "plain_ms": plain, "prove_ms": prove,
        "verify_ms": verify, "proof_bytes": size, "key_bytes": key.to_bytes().len(), "keygen_ms": keygen_ms,
        "proofs": PROOFS, "verifies": VERIFIES,
    })
}

pub(crate) fn proofs(repo_models: &Path) -> serde_json::Value {
    println!("  (k) zero-knowledge proofs of tensor models (halo2 IPA over BN254), medians");
    let mut rows = Vec::new();
    match TensorModel::load(&repo_models.join("topic-classifier")) {
        Ok(classifier) => rows.push(measure("topic classifier 384→8", &classifier)),
        Err(e) => println!("    topic classifier skipped: {e}"),
    }
    rows.push(measure("MLP 384→256→64→8", &mlp(&[384, 256, 64, 8])));
    json!(rows)
}
