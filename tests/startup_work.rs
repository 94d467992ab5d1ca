//! What `agentctl run` does before its first model call, and what it must not do: a plain-HTTP
//! endpoint never loads the system's root certificates (the certificate files are not even
//! read, so a broken one cannot matter).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_contains, mock, runtime, stderr_of, stdout_of, text, Project};

/// A certificate bundle that does not parse, and a directory of them, for SSL_CERT_FILE and
/// SSL_CERT_DIR (which the system-roots loader reads).
fn broken_certificates(project: &Project) -> (std::path::PathBuf, std::path::PathBuf) {
    let file = project.path(".test-cache/broken.pem");
    common::write(
        &file,
        "-----BEGIN CERTIFICATE-----\n!!! not base64 !!!\n-----END CERTIFICATE-----\n",
    );
    let directory = project.path(".test-cache/broken-certs");
    common::write(
        &directory.join("broken.pem"),
        "-----BEGIN CERTIFICATE-----\n!!! not base64 !!!\n-----END CERTIFICATE-----\n",
    );
    (file, directory)
}

#[test]
fn a_plain_http_endpoint_never_reads_the_system_certificates() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(&runtime, vec![text("all good")]);
    let (file, directory) = broken_certificates(&project);
    let output = project
        .agentctl_with(&endpoint)
        .env("SSL_CERT_FILE", &file)
        .env("SSL_CERT_DIR", &directory)
        .args(["run", "qa-engineer", "--task", "T-154"])
        .output()
        .unwrap();
    // Loading the roots fails on these files (see the https test below); a run that never
    // loads them does not notice.
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output).trim(), "all good");
    assert!(
        !stderr_of(&output).contains("panicked"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn an_https_endpoint_with_unreadable_system_certificates_is_refused_clearly() {
    let project = Project::example();
    let (file, directory) = broken_certificates(&project);
    let output = project
        .agentctl()
        .env("OPENAI_BASE_URL", "https://127.0.0.1:9/v1")
        .env("SSL_CERT_FILE", &file)
        .env("SSL_CERT_DIR", &directory)
        .args(["run", "qa-engineer", "--task", "T-154"])
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_contains(
        &stderr,
        "error: invalid endpoint settings: cannot build the HTTP client",
    );
    assert_eq!(output.status.code(), Some(2), "{stderr}");
}
