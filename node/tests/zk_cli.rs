//! `bai infer zk-key | prove | verify` as a model owner uses them, on the shipped topic classifier:
//! the key's commitment, a proof that verifies without the weights, and the refusals a verifier
//! must give (other scores, a key with another commitment).

use serde_json::Value;
use std::{path::Path, process::Command};

fn bai(cache: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bai")).env("BAI_ZK_CACHE", cache).args(args).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn a_model_owner_proves_and_anyone_verifies_without_the_weights() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/topic-classifier");
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let cache = dir.path().join("zk-cache");
    let bai = |args: &[&str]| bai(&cache, args);
    let features: Vec<i32> = (0..384).map(|i| ((i * 7919) % 120_001) - 60_000).collect();
    std::fs::write(path("features.json"), serde_json::to_vec(&features).unwrap()).unwrap();

    let (ok, out) = bai(&["infer", "zk-key", model.to_str().unwrap(), "--out", &path("key")]);
    assert!(ok, "{out}");
    let commitment = out.lines().find_map(|l| l.strip_prefix("commitment ")).expect("a commitment line").to_string();
    assert!(cache.join("ipa-bn254-k9.bin").is_file(), "the generators are cached for the next command");

    let features_arg = format!("@{}", path("features.json"));
    let (ok, out) =
        bai(&["infer", "prove", model.to_str().unwrap(), "--features", &features_arg, "--out", &path("proof.json")]);
    assert!(ok, "{out}");
    let proof: Value = serde_json::from_slice(&std::fs::read(path("proof.json")).unwrap()).unwrap();
    assert_eq!(proof["commitment"], commitment.as_str());
    assert_eq!(proof["features"].as_array().unwrap().len(), 384);
    assert_eq!(proof["scores"].as_array().unwrap().len(), 8);

    // Verified from the key and the proof file alone, against the commitment a registry would hold.
    let (ok, out) = bai(&["infer", "verify", &path("proof.json"), "--key", &path("key"), "--commitment", &commitment]);
    assert!(ok, "{out}");
    assert!(out.starts_with("valid:"), "{out}");

    // Another score: refused.
    let mut lie = proof;
    lie["scores"][3] = Value::from(lie["scores"][3].as_i64().unwrap() + 1);
    std::fs::write(path("lie.json"), serde_json::to_vec(&lie).unwrap()).unwrap();
    let (ok, out) = bai(&["infer", "verify", &path("lie.json"), "--key", &path("key")]);
    assert!(!ok && out.contains("does not verify"), "{out}");

    // A key that is not the registered one: refused before any proof check.
    let other = format!("0x{}", "11".repeat(32));
    let (ok, out) = bai(&["infer", "verify", &path("proof.json"), "--key", &path("key"), "--commitment", &other]);
    assert!(!ok && out.contains("commitment"), "{out}");
}
