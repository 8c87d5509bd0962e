use super::*;
use bai_reference::tensor::{Manifest, SCALE};
use std::path::Path;

/// Deterministic pseudo-random numbers (SplitMix64).
struct Rng(u64);
impl Rng {
    /// Uniform in `[-bound, bound]`.
    fn int(&mut self, bound: i64) -> i32 {
        ((bai_reference::kernels::splitmix64(&mut self.0) % (2 * bound as u64 + 1)) as i64 - bound) as i32
    }
}

fn manifest(input_dim: usize, activation: Activation) -> Manifest {
    Manifest {
        format: bai_reference::tensor::FORMAT.into(),
        input_dim,
        layers: vec![],
        activation,
        labels: vec![],
        description: String::new(),
    }
}

/// A model with `dims` (input first) and weights in ±`bound` ×10⁻⁶.
fn model(dims: &[usize], bound: i64, seed: u64, activation: Activation) -> TensorModel {
    let mut rng = Rng(seed);
    let layers = dims
        .windows(2)
        .enumerate()
        .map(|(i, pair)| DenseLayer {
            name: format!("fc{i}"),
            inputs: pair[0],
            outputs: pair[1],
            weight: (0..pair[0] * pair[1]).map(|_| rng.int(bound)).collect(),
            bias: (0..pair[1]).map(|_| rng.int(bound)).collect(),
        })
        .collect();
    TensorModel::from_layers(manifest(dims[0], activation), layers).unwrap()
}

fn features(n: usize, seed: u64) -> Vec<i32> {
    let mut rng = Rng(seed);
    (0..n).map(|_| rng.int(2 * SCALE)).collect()
}

#[test]
fn proofs_of_honest_evaluations_verify_and_match_the_reference() {
    let setup = Setup::new();
    let model = model(&[24, 16, 5], 800_000, 7, Activation::Relu);
    let prover = Prover::new(&model, &setup).unwrap();
    let key = VerifyingKey::from_bytes(prover.verifying_key().to_bytes()).unwrap();
    assert_eq!(key.commitment(), prover.verifying_key().commitment());
    let mut negatives = 0;
    for seed in 0..4 {
        let x = features(24, seed);
        let proved = prover.prove(&x).unwrap();
        let reference = model.evaluate(&x).unwrap();
        assert_eq!(proved.scores, reference.scores, "seed {seed}");
        negatives += proved.scores.iter().filter(|s| **s < 0).count();
        verify(&setup, &key, &x, &proved.scores, &proved.proof).unwrap();

        // Any other score is rejected.
        let mut lie = proved.scores.clone();
        let at = seed as usize % lie.len();
        lie[at] += 1;
        assert!(matches!(verify(&setup, &key, &x, &lie, &proved.proof), Err(ZkError::BadProof(_))));
        // So is the proof for other features.
        let mut other = x.clone();
        other[0] ^= 1;
        assert!(matches!(verify(&setup, &key, &other, &proved.scores, &proved.proof), Err(ZkError::BadProof(_))));
    }
    assert!(negatives > 0, "the corpus must exercise negative outputs after the last layer");
}

/// Features built so a hidden sum lands exactly on a rounding tie, positive and negative.
#[test]
fn ties_round_half_away_from_zero_in_the_circuit() {
    let setup = Setup::new();
    let layers = vec![
        DenseLayer { name: "fc0".into(), inputs: 2, outputs: 2, weight: vec![1, 0, -1, 0], bias: vec![0, 0] },
        DenseLayer {
            name: "fc1".into(),
            inputs: 2,
            outputs: 2,
            weight: vec![SCALE as i32, 0, 0, SCALE as i32],
            bias: vec![3, -3],
        },
    ];
    let model = TensorModel::from_layers(manifest(2, Activation::Relu), layers).unwrap();
    let prover = Prover::new(&model, &setup).unwrap();
    for x in [[1_500_000, 0], [-1_500_000, 0], [2_500_000, 1], [-500_000, 0], [500_000, 0]] {
        let proved = prover.prove(&x).unwrap();
        assert_eq!(proved.scores, model.evaluate(&x).unwrap().scores, "{x:?}");
        verify(&setup, prover.verifying_key(), &x, &proved.scores, &proved.proof).unwrap();
    }
}

/// A prover that lies inside the witness (a wrong rounding, a wrong ReLU, a wrong sign bit) gets a
/// proof that no verifier accepts.
#[test]
fn tampered_witnesses_do_not_verify() {
    let setup = Setup::new();
    let model = model(&[12, 8, 4], 900_000, 11, Activation::Relu);
    let prover = Prover::new(&model, &setup).unwrap();
    // Features whose hidden layer has outputs of both signs, for the ReLU lies below.
    let x = (0..100)
        .map(|seed| features(12, seed))
        .find(|x| {
            let hidden = model.layers()[0].forward(x);
            hidden.iter().any(|v| *v < 0) && hidden.iter().any(|v| *v > 0)
        })
        .expect("some features give mixed signs");
    let honest = prover.prove(&x).unwrap();
    type Tamper = fn(&mut Vec<Vec<trace::Neuron>>);
    let tampers: [(&str, Tamper); 4] = [
        ("last output +1", |n| {
            let last = n.last_mut().unwrap();
            last[0].pre += 1;
            last[0].out += 1;
            last[0].quotient += 1;
        }),
        ("quotient off by one, remainder out of range", |n| {
            let last = n.last_mut().unwrap();
            last[1].quotient += 1;
            last[1].remainder -= SCALE as i128;
            last[1].pre += 1;
            last[1].out += 1;
        }),
        ("ReLU passes a negative through", |n| {
            let hidden = &mut n[0];
            let j = hidden.iter().position(|v| v.pre < 0).expect("a negative hidden output");
            hidden[j].out = hidden[j].pre;
            hidden[j].non_negative = true;
        }),
        ("ReLU zeroes a positive", |n| {
            let hidden = &mut n[0];
            let j = hidden.iter().position(|v| v.pre > 0).expect("a positive hidden output");
            hidden[j].out = 0;
            hidden[j].non_negative = false;
        }),
    ];
    for (what, tamper) in tampers {
        // halo2 does not check the witness while proving: the lie gets a proof, which must not verify.
        let lie = prover.prove_with(&x, tamper).expect("a proof of the tampered witness");
        assert!(verify(&setup, prover.verifying_key(), &x, &lie.scores, &lie.proof).is_err(), "{what} verified");
    }
    verify(&setup, prover.verifying_key(), &x, &honest.scores, &honest.proof).unwrap();
}

/// The key binds the weights: one changed weight gives another commitment, and proofs made with
/// one model do not verify under the other's key.
#[test]
fn the_key_commits_to_the_weights() {
    let setup = Setup::new();
    let model_a = model(&[10, 3], 500_000, 5, Activation::Relu);
    let mut layers = model_a.layers().to_vec();
    layers[0].weight[7] += 1;
    let model_b = TensorModel::from_layers(manifest(10, Activation::Relu), layers).unwrap();
    let (a, b) = (Prover::new(&model_a, &setup).unwrap(), Prover::new(&model_b, &setup).unwrap());
    assert_ne!(a.verifying_key().commitment(), b.verifying_key().commitment());
    let x = features(10, 9);
    let proved = b.prove(&x).unwrap();
    verify(&setup, b.verifying_key(), &x, &proved.scores, &proved.proof).unwrap();
    assert!(verify(&setup, a.verifying_key(), &x, &proved.scores, &proved.proof).is_err());
    // Keys are a pure function of the weights: a second prover gives the same commitment.
    assert_eq!(Prover::new(&model_a, &setup).unwrap().verifying_key().commitment(), a.verifying_key().commitment());
}

#[test]
fn hostile_keys_and_proofs_are_errors_not_crashes() {
    let setup = Setup::new();
    let model = model(&[6, 2], 500_000, 1, Activation::Relu);
    let prover = Prover::new(&model, &setup).unwrap();
    let x = features(6, 2);
    let proved = prover.prove(&x).unwrap();
    let key = prover.verifying_key();
    for cut in [0, 1, 32, proved.proof.len() / 2, proved.proof.len() - 1] {
        assert!(matches!(verify(&setup, key, &x, &proved.scores, &proved.proof[..cut]), Err(ZkError::BadProof(_))));
    }
    let mut flipped = proved.proof.clone();
    flipped[40] ^= 0x5a;
    assert!(verify(&setup, key, &x, &proved.scores, &flipped).is_err());
    assert!(matches!(verify(&setup, key, &x[..5], &proved.scores, &proved.proof), Err(ZkError::Input(_))));

    let bytes = key.to_bytes();
    for bad in [&b"baizk-v1"[..], &bytes[..bytes.len() - 7], &[0u8; 64][..]] {
        assert!(matches!(VerifyingKey::from_bytes(bad), Err(ZkError::MalformedKey(_))));
    }
    let mut other_lanes = bytes.to_vec();
    other_lanes[8] = 16;
    assert!(VerifyingKey::from_bytes(&other_lanes).is_err());
}

#[test]
fn what_the_circuit_does_not_cover_is_refused() {
    let setup = Setup::new();
    let tanh = model(&[4, 3, 2], 500_000, 2, Activation::Tanh);
    assert!(matches!(Prover::new(&tanh, &setup), Err(ZkError::Unsupported(_))));
    let huge = TensorModel::from_layers(
        manifest(600, Activation::Relu),
        vec![DenseLayer { name: "fc".into(), inputs: 600, outputs: 1, weight: vec![i32::MAX; 600], bias: vec![0] }],
    )
    .unwrap();
    assert!(matches!(Prover::new(&huge, &setup), Err(ZkError::Unsupported(_))));
    let big = TensorModel::from_layers(
        manifest(2, Activation::Relu),
        vec![DenseLayer {
            name: "fc".into(),
            inputs: 2,
            outputs: 1,
            weight: vec![SCALE as i32 * 1000; 2],
            bias: vec![0],
        }],
    )
    .unwrap();
    let prover = Prover::new(&big, &setup).unwrap();
    assert!(matches!(prover.prove(&[i32::MAX, i32::MAX]), Err(ZkError::Saturated { .. })));
    assert!(prover.prove(&[1_000, -2_000]).is_ok());
}

/// The shipped topic classifier (384 → 8) proves in one small circuit.
#[test]
fn the_shipped_classifier_proves_and_verifies() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/topic-classifier");
    let model = TensorModel::load(&dir).unwrap();
    let setup = Setup::new();
    let prover = Prover::new(&model, &setup).unwrap();
    assert!(prover.verifying_key().degree() <= 9, "2^{} rows", prover.verifying_key().degree());
    let mut x = features(384, 42);
    x.iter_mut().for_each(|v| *v /= 20); // about a unit vector's scale
    let proved = prover.prove(&x).unwrap();
    assert_eq!(proved.scores, model.evaluate(&x).unwrap().scores);
    verify(&setup, prover.verifying_key(), &x, &proved.scores, &proved.proof).unwrap();
}

/// Prints the digests `setup.rs` pins (run with `--ignored --nocapture` after a halo2 upgrade).
#[test]
#[ignore = "derives generators up to 2^16 rows: about a minute"]
fn print_generator_digests() {
    use halo2_axiom::poly::commitment::Params;
    for k in 9..=MAX_DEGREE {
        let mut bytes = Vec::new();
        ParamsIPA::<G1Affine>::new(k).write(&mut bytes).unwrap();
        let digest: [u8; 32] = Keccak256::digest(&bytes).into();
        println!("({k}, \"{}\"),", digest.iter().map(|b| format!("{b:02x}")).collect::<String>());
    }
}

/// The on-disk cache holds exactly the derived generators, and a file that is not them (tampered or
/// cut) is never used: it is derived again and rewritten.
#[test]
fn cached_generators_are_checked_against_their_pinned_digest() {
    use halo2_axiom::poly::commitment::Params;
    let dir = tempfile::tempdir().unwrap();
    let bytes = |p: &ParamsIPA<G1Affine>| {
        let mut out = Vec::new();
        p.write(&mut out).unwrap();
        out
    };
    let derived = bytes(&ParamsIPA::<G1Affine>::new(9));
    assert_eq!(<[u8; 32]>::from(Keccak256::digest(&derived)), pinned_digest(9).unwrap(), "the pinned digest");
    let first = Setup::with_cache(dir.path());
    assert_eq!(bytes(&first.params(9)), derived);
    let file = dir.path().join("ipa-bn254-k9.bin");
    assert_eq!(std::fs::read(&file).unwrap(), derived, "written to the cache");
    assert_eq!(bytes(&Setup::with_cache(dir.path()).params(9)), derived, "read back");

    // A tampered cache: another valid point in place of the first generator.
    let mut tampered = derived.clone();
    tampered[4..36].copy_from_slice(&derived[36..68]);
    std::fs::write(&file, &tampered).unwrap();
    assert_eq!(bytes(&Setup::with_cache(dir.path()).params(9)), derived, "not the tampered file");
    assert_eq!(std::fs::read(&file).unwrap(), derived, "rewritten");
    std::fs::write(&file, &derived[..100]).unwrap();
    assert_eq!(bytes(&Setup::with_cache(dir.path()).params(9)), derived);
}
