#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The `agentctl-mock-endpoint` binary as a separate process, the way the CLI end-to-end tests
//! and benchmarks use it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for_file(path: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "mock never wrote {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A minimal HTTP/1.1 POST, so this test exercises the server rather than a client library.
fn post(base_url: &str, path: &str, body: &Value) -> (u16, String) {
    let address = base_url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap();
    let mut socket = TcpStream::connect(address).unwrap();
    let body = body.to_string();
    write!(
        socket,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let payload = answer.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, payload)
}

#[test]
fn binary_serves_a_script_and_records_requests() {
    let directory = tempfile::tempdir().unwrap();
    let script = directory.path().join("script.json");
    let port_file = directory.path().join("port");
    let record = directory.path().join("requests.jsonl");
    std::fs::write(
        &script,
        json!({
            "model": "scripted",
            "refuse_streaming_with_tools": true,
            "replies": [
                {"text": "hello from the script"},
                {"status": {"code": 429, "body": "slow down", "retry_after": "2"}}
            ]
        })
        .to_string(),
    )
    .unwrap();
    let _server = Running(
        Command::new(env!("CARGO_BIN_EXE_agentctl-mock-endpoint"))
            .arg("--script")
            .arg(&script)
            .arg("--port-file")
            .arg(&port_file)
            .arg("--record")
            .arg(&record)
            .spawn()
            .unwrap(),
    );
    let base_url = wait_for_file(&port_file);
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
    assert!(base_url.ends_with("/v1"), "{base_url}");

    let refused = post(
        &base_url,
        "/v1/chat/completions",
        &json!({"model": "m", "stream": true, "tools": [{"type": "function"}], "messages": []}),
    );
    assert_eq!(refused.0, 500);
    assert!(refused.1.contains("stream"), "{}", refused.1);

    let (status, body) = post(
        &base_url,
        "/v1/chat/completions",
        &json!({"model": "m", "stream": false, "messages": [{"role": "user", "content": "hi"}]}),
    );
    assert_eq!(status, 200);
    let completion: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(completion["model"], "scripted");
    assert_eq!(
        completion["choices"][0]["message"]["content"],
        "hello from the script"
    );

    let (status, body) = post(&base_url, "/v1/chat/completions", &json!({"messages": []}));
    assert_eq!((status, body.as_str()), (429, "slow down"));

    let (status, body) = post(&base_url, "/v1/chat/completions", &json!({"messages": []}));
    assert_eq!(status, 500);
    assert!(body.contains("mock script exhausted"), "{body}");

    let lines: Vec<Value> = std::fs::read_to_string(&record)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[1]["path"], "/v1/chat/completions");
    assert_eq!(lines[1]["body"]["messages"][0]["content"], "hi");
    assert_eq!(lines[1]["headers"]["content-type"], "application/json");
}

#[test]
fn binary_rejects_a_bad_script_with_its_path() {
    let directory = tempfile::tempdir().unwrap();
    let script = directory.path().join("bad.json");
    std::fs::write(&script, r#"[{"txt": "typo"}]"#).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_agentctl-mock-endpoint"))
        .arg("--script")
        .arg(&script)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.json"), "{stderr}");
    assert!(stderr.contains("not a valid mock script"), "{stderr}");
}
