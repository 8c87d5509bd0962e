//! Supervision of a running `bai node` (the real binary, a real L1: anvil): a critical task that dies
//! is visible and stops the node (a batcher whose progress file becomes unwritable), and SIGTERM stops
//! the node within a bounded time even while its L1 endpoint hangs.
//!
//! Needs anvil (`make setup` puts it in .tools/bin); `make test` always has it.

use serde_json::{Value, json};
use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

/// dev account 3 (the test mnemonic), the devnet's batcher.
const BATCHER_KEY: &str = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn anvil() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let tool = root.join(".tools/bin/anvil");
    assert!(tool.exists(), "anvil not found at {} (run `make setup`)", tool.display());
    tool
}

/// One JSON-RPC call over a bare HTTP/1.1 connection; `None` when nothing answers.
fn rpc(url: &str, method: &str, params: Value) -> Option<Value> {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string();
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (_, body) = response.split_once("\r\n\r\n")?;
    let reply: Value = serde_json::from_str(body).ok()?;
    reply.get("result").cloned()
}

/// A running anvil and its URL.
fn start_anvil() -> (Killed, String) {
    let l1_port = free_port();
    let l1 = Killed(
        Command::new(anvil())
            .args(["--port", &l1_port.to_string(), "--block-time", "1", "--hardfork", "prague", "--silent"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let l1_url = format!("http://127.0.0.1:{l1_port}");
    let started = Instant::now();
    while rpc(&l1_url, "eth_blockNumber", json!([])).is_none() {
        assert!(started.elapsed() < Duration::from_secs(20), "anvil did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    (l1, l1_url)
}

/// A dev sequencer with a batcher posting to the L1 at `l1_url`: the process, its RPC URL, and its
/// stderr lines once it has exited.
fn start_node(l1_url: &str, datadir: &Path) -> (Killed, String, mpsc::Receiver<Vec<String>>) {
    let mut node = Killed(
        Command::new(env!("CARGO_BIN_EXE_bai"))
            .args(["node", "--dev", "--http.port", "0", "--block-time", "200ms"])
            .arg("--datadir")
            .arg(datadir)
            .args(["--l1.rpc-url", l1_url, "--l1.confirmations", "0", "--l1.poll-interval", "200ms"])
            .args(["--l1.portal", "0x00000000000000000000000000000000000000a1"])
            .args(["--batcher.inbox", "0x00000000000000000000000000000000000000ff"])
            .args(["--batcher.max-blocks", "2", "--batcher.max-delay", "1s", "--batcher.da", "calldata"])
            .args(["--inference.disable"])
            .env("BAI_BATCHER_KEY", BATCHER_KEY)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // The banner names the RPC address; stderr keeps the node's last words.
    let stdout = node.0.stdout.take().unwrap();
    let (url_tx, url_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("RPC listening on ") {
                let _ = url_tx.send(rest.split_whitespace().next().unwrap_or_default().to_string());
            }
        }
    });
    let stderr = node.0.stderr.take().unwrap();
    let (err_tx, err_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let lines: Vec<String> = BufReader::new(stderr).lines().map_while(Result::ok).collect();
        let _ = err_tx.send(lines);
    });
    let url = url_rx.recv_timeout(Duration::from_secs(60)).expect("the node printed no banner");
    (node, url, err_rx)
}

#[test]
fn a_failing_batcher_shows_in_health_and_stops_the_node_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let (_l1, l1_url) = start_anvil();
    let datadir = dir.path().join("node");
    let (mut node, url, err_rx) = start_node(&l1_url, &datadir);

    // Healthy while the batcher posts: its progress file appears once a channel landed on L1.
    let progress = datadir.join("batcher.progress");
    let started = Instant::now();
    while !progress.exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "the batcher never posted");
        std::thread::sleep(Duration::from_millis(100));
    }
    let health = rpc(&url, "bai_health", json!([])).unwrap();
    assert_eq!(health["healthy"], json!(true), "{health}");
    let batcher = health["tasks"].as_array().unwrap().iter().find(|t| t["name"] == "batcher").cloned();
    assert_eq!(batcher.map(|t| t["state"].clone()), Some(json!("running")), "{health}");

    // Its next progress write fails: that is not something to retry forever.
    std::fs::remove_file(&progress).unwrap();
    std::fs::create_dir(&progress).unwrap();
    let failed_at = Instant::now();
    let mut seen_failed = None;
    let status = loop {
        if let Some(status) = node.0.try_wait().unwrap() {
            break status;
        }
        assert!(failed_at.elapsed() < Duration::from_secs(30), "the node kept running with a dead batcher");
        if seen_failed.is_none()
            && let Some(health) = rpc(&url, "bai_health", json!([]))
            && health["healthy"] == json!(false)
        {
            seen_failed = Some(health);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success(), "exit status {status}");
    let health = seen_failed.expect("bai_health never reported the failure before the node exited");
    let batcher = health["tasks"].as_array().unwrap().iter().find(|t| t["name"] == "batcher").cloned().unwrap();
    assert_eq!(batcher["state"], json!("failed"), "{health}");
    assert_eq!(batcher["critical"], json!(true));
    let expected = format!("progress file {}: Is a directory (os error 21)", progress.display());
    assert_eq!(batcher["error"], json!(expected), "{health}");
    let stderr = err_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(
        stderr.last().map(String::as_str),
        Some(format!("error: critical task `batcher` failed: {expected}").as_str()),
        "{stderr:?}"
    );
}

/// A TCP proxy to `upstream` that can be told to hang: from then on it accepts connections and
/// forwards nothing, on new and already open connections alike (an L1 endpoint that stops answering
/// without closing anything, the worst case for a client without deadlines).
fn hanging_proxy(upstream: String) -> (String, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    use std::{
        io::{Read, Write},
        net::TcpStream,
        sync::{
            Arc,
            atomic::{AtomicBool, Ordering},
        },
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hang = Arc::new(AtomicBool::new(false));
    let flag = hang.clone();
    let upstream = upstream.trim_start_matches("http://").to_string();
    std::thread::spawn(move || {
        for client in listener.incoming().map_while(Result::ok) {
            let Ok(server) = TcpStream::connect(&upstream) else { continue };
            for (mut from, mut to) in [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)] {
                let hang = flag.clone();
                std::thread::spawn(move || {
                    let mut buffer = [0u8; 16 * 1024];
                    while let Ok(n) = from.read(&mut buffer) {
                        while hang.load(Ordering::SeqCst) {
                            std::thread::sleep(Duration::from_millis(50)); // hold the bytes, forever
                        }
                        if n == 0 || to.write_all(&buffer[..n]).is_err() {
                            break;
                        }
                    }
                });
            }
        }
    });
    (url, hang)
}

#[test]
fn sigterm_stops_the_node_in_bounded_time_while_l1_hangs() {
    let dir = tempfile::tempdir().unwrap();
    let (_l1, anvil_url) = start_anvil();
    let (l1_url, hang) = hanging_proxy(anvil_url);
    let datadir = dir.path().join("node");
    let (mut node, url, _stderr) = start_node(&l1_url, &datadir);
    // Working through the proxy: the batcher posts.
    let started = Instant::now();
    while !datadir.join("batcher.progress").exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "the batcher never posted");
        std::thread::sleep(Duration::from_millis(100));
    }
    // L1 stops answering; the node's L1 calls are now stuck in flight.
    hang.store(true, std::sync::atomic::Ordering::SeqCst);
    std::thread::sleep(Duration::from_secs(2));
    assert!(rpc(&url, "eth_blockNumber", json!([])).is_some(), "RPC still answers while L1 hangs");
    let term = Command::new("kill").args(["-TERM", &node.0.id().to_string()]).status().unwrap();
    assert!(term.success());
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = node.0.try_wait().unwrap() {
            break status;
        }
        // The shutdown grace is 10 s; a task stuck on L1 must not hold the process past it.
        assert!(signalled.elapsed() < Duration::from_secs(15), "the node did not stop within 15 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    eprintln!("stopped {:?} after SIGTERM with {status}", signalled.elapsed());
}
