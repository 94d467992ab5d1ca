//! The mock OpenAI-compatible endpoint: a real HTTP/1.1 server on a loopback socket that answers
//! chat completions from a script and records every request it receives.
//!
//! Owns: sockets, routing, the script queue, the request log, fault injection (delays, hangs,
//! dropped connections, error statuses). Does not know about agentctl's client; it only speaks
//! the wire protocol, so the real async-openai client is exercised end to end.

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::stream;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use crate::render::{self, Answering, Output};
use crate::reply::MockReply;

/// The model id the mock reports unless told otherwise.
pub const DEFAULT_MOCK_MODEL: &str = "mock-model";

/// Further ids `GET /v1/models` lists unless told otherwise: the models the repository's example
/// and `agentctl init` configurations ask for, so a run against the mock passes agentctl's
/// preflight the way one against the local model (which lists its alias) does.
pub const DEFAULT_SERVED_MODELS: [&str; 3] = ["smollm2", "gpt-4.1-mini", "qwen2.5-coder-1.5b"];

/// What the mock says when a streaming request offers tools in refusal mode. It mentions
/// "stream" on purpose: that is what clients key their fallback on.
pub const STREAMING_REFUSAL_MESSAGE: &str =
    "this server cannot stream a reply while tool choice is automatic";

/// One HTTP request as the mock received it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    /// Path without the query, e.g. `/v1/chat/completions`.
    pub path: String,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    /// The body as JSON; `Null` when empty, a JSON string holding the raw text when not JSON.
    pub body: Value,
}

impl RecordedRequest {
    /// Whether the body asked for a streamed answer.
    pub fn is_streaming(&self) -> bool {
        self.body["stream"] == Value::Bool(true)
    }

    /// Whether this is a chat-completion request.
    pub fn is_chat_completion(&self) -> bool {
        self.method == "POST" && self.path.ends_with("/chat/completions")
    }

    fn offers_tools(&self) -> bool {
        self.body["tools"]
            .as_array()
            .is_some_and(|tools| !tools.is_empty())
    }
}

struct Shared {
    script: Mutex<VecDeque<MockReply>>,
    requests: Mutex<Vec<RecordedRequest>>,
    refuse_streaming_with_tools: bool,
    model: String,
    served: Vec<String>,
    record: Option<Mutex<fs_err::File>>,
}

/// A mutex poisoned by a panicking test thread still holds consistent data for our purposes.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Configures a [`MockEndpoint`] before it starts listening.
#[derive(Debug, Clone)]
pub struct MockEndpointBuilder {
    script: Vec<MockReply>,
    refuse_streaming_with_tools: bool,
    model: String,
    served: Vec<String>,
    port: u16,
    record: Option<PathBuf>,
}

impl Default for MockEndpointBuilder {
    fn default() -> Self {
        MockEndpointBuilder {
            script: Vec::new(),
            refuse_streaming_with_tools: false,
            model: DEFAULT_MOCK_MODEL.to_owned(),
            served: DEFAULT_SERVED_MODELS.map(str::to_owned).to_vec(),
            port: 0,
            record: None,
        }
    }
}

impl MockEndpointBuilder {
    /// Replaces the script.
    pub fn script(mut self, script: Vec<MockReply>) -> Self {
        self.script = script;
        self
    }

    /// Appends one reply to the script.
    pub fn reply(mut self, reply: MockReply) -> Self {
        self.script.push(reply);
        self
    }

    /// Refuse every streaming request that offers tools (HTTP 500, like llama-cpp-python),
    /// without consuming a scripted reply.
    pub fn refuse_streaming_with_tools(mut self, refuse: bool) -> Self {
        self.refuse_streaming_with_tools = refuse;
        self
    }

    /// The model id reported in completions and by `GET /v1/models`.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    /// The further ids `GET /v1/models` lists besides [`MockEndpointBuilder::model`] (default
    /// [`DEFAULT_SERVED_MODELS`]).
    pub fn serves(mut self, models: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.served = models.into_iter().map(Into::into).collect();
        self
    }

    /// Listen on this loopback port instead of a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Also append every request as one JSON line to this file.
    pub fn record_to(mut self, path: impl Into<PathBuf>) -> Self {
        self.record = Some(path.into());
        self
    }

    /// Starts serving; panics with the reason if the socket or record file cannot be opened,
    /// which in a test is the clearest way to fail.
    pub async fn start(self) -> MockEndpoint {
        match self.try_start().await {
            Ok(endpoint) => endpoint,
            Err(error) => panic!("mock endpoint failed to start: {error}"),
        }
    }

    /// Starts serving, reporting socket and file errors.
    pub async fn try_start(self) -> std::io::Result<MockEndpoint> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], self.port))).await?;
        let address = listener.local_addr()?;
        let record = match self.record {
            Some(path) => Some(Mutex::new(
                fs_err::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            )),
            None => None,
        };
        let shared = Arc::new(Shared {
            script: Mutex::new(self.script.into()),
            requests: Mutex::new(Vec::new()),
            refuse_streaming_with_tools: self.refuse_streaming_with_tools,
            model: self.model,
            served: self.served,
            record,
        });
        let (shutdown, shutdown_seen) = watch::channel(false);
        tokio::spawn(accept_connections(listener, shared.clone(), shutdown_seen));
        Ok(MockEndpoint {
            address,
            shared,
            shutdown,
        })
    }
}

/// A running mock endpoint. Dropping it stops the server and closes open connections.
pub struct MockEndpoint {
    address: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for MockEndpoint {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MockEndpoint")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl MockEndpoint {
    /// Starts a mock on a free loopback port answering with `script`, in order.
    pub async fn start(script: Vec<MockReply>) -> MockEndpoint {
        MockEndpoint::builder().script(script).start().await
    }

    pub fn builder() -> MockEndpointBuilder {
        MockEndpointBuilder::default()
    }

    /// `http://127.0.0.1:PORT/v1`, ready to use as an OpenAI base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Only the chat-completion requests, in arrival order.
    pub fn chat_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(RecordedRequest::is_chat_completion)
            .collect()
    }

    /// Appends a reply to the end of the script.
    pub fn push(&self, reply: MockReply) {
        lock(&self.shared.script).push_back(reply);
    }

    /// How many scripted replies have not been used yet.
    pub fn remaining(&self) -> usize {
        lock(&self.shared.script).len()
    }

    /// Waits until the process is asked to stop (Ctrl-C, or SIGTERM on Unix).
    pub async fn serve_until_signalled(self) {
        wait_for_stop_signal().await;
        drop(self);
    }
}

impl Drop for MockEndpoint {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

#[cfg(unix)]
async fn wait_for_stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_stop_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

async fn accept_connections(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => {
                if let Ok((socket, _)) = accepted {
                    tokio::spawn(serve_connection(socket, shared.clone(), shutdown.clone()));
                }
            }
        }
    }
}

async fn serve_connection(
    socket: TcpStream,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    // A handler asks for the connection to be dropped (MockReply::Close) through this channel;
    // dropping the connection future below closes the socket without writing a response.
    let (close_sender, mut close_requested) = mpsc::unbounded_channel::<()>();
    let service = hyper::service::service_fn(move |request| {
        handle(request, shared.clone(), close_sender.clone())
    });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(socket), service);
    tokio::select! {
        _ = connection => {}
        _ = close_requested.recv() => {}
        _ = shutdown.changed() => {}
    }
}

type Body = BoxBody<Bytes, Infallible>;

async fn handle(
    request: Request<Incoming>,
    shared: Arc<Shared>,
    close: mpsc::UnboundedSender<()>,
) -> Result<Response<Body>, Infallible> {
    let recorded = match record(request, &shared).await {
        Ok(recorded) => recorded,
        Err(detail) => return Ok(json_response(StatusCode::BAD_REQUEST, &error_body(&detail))),
    };
    let response = if recorded.is_chat_completion() {
        answer_chat(&recorded, &shared, &close).await
    } else if recorded.method == "GET" && recorded.path.ends_with("/models") {
        let mut ids = vec![shared.model.clone()];
        ids.extend(
            shared
                .served
                .iter()
                .filter(|id| **id != shared.model)
                .cloned(),
        );
        let data: Vec<Value> = ids
            .iter()
            .map(|id| json!({"id": id, "object": "model", "created": 0, "owned_by": "agentctl-mock"}))
            .collect();
        json_response(StatusCode::OK, &json!({"object": "list", "data": data}))
    } else {
        json_response(
            StatusCode::NOT_FOUND,
            &error_body(&format!(
                "mock endpoint has no route for {} {}",
                recorded.method, recorded.path
            )),
        )
    };
    Ok(response)
}

async fn record(request: Request<Incoming>, shared: &Shared) -> Result<RecordedRequest, String> {
    let (parts, body) = request.into_parts();
    let bytes = body
        .collect()
        .await
        .map_err(|error| format!("mock endpoint could not read the request body: {error}"))?
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    let body = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.into_owned()))
    };
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let recorded = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        headers,
        body,
    };
    if let Some(file) = &shared.record {
        let line = serde_json::to_string(&recorded).unwrap_or_default();
        let mut file = lock(file);
        if let Err(error) = writeln!(file, "{line}").and_then(|()| file.flush()) {
            let _ = writeln!(std::io::stderr(), "mock endpoint: {error}");
        }
    }
    lock(&shared.requests).push(recorded.clone());
    Ok(recorded)
}

async fn answer_chat(
    request: &RecordedRequest,
    shared: &Shared,
    close: &mpsc::UnboundedSender<()>,
) -> Response<Body> {
    if shared.refuse_streaming_with_tools && request.is_streaming() && request.offers_tools() {
        return streaming_refusal();
    }
    let popped = lock(&shared.script).pop_front();
    let Some(mut reply) = popped else {
        return json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &error_body("mock script exhausted"),
        );
    };
    while let MockReply::Delay(wait, then) = reply {
        tokio::time::sleep(wait).await;
        reply = *then;
    }
    let answering = Answering {
        model: shared.model.clone(),
        number: lock(&shared.requests).len(),
        request_bytes: serde_json::to_string(&request.body)
            .map(|text| text.len())
            .unwrap_or(0),
        include_usage: request.body["stream_options"]["include_usage"] == Value::Bool(true),
    };
    match reply {
        MockReply::Text(text) => answer_output(request, &answering, Output::Text(text)),
        MockReply::ToolCalls(calls) => answer_output(request, &answering, Output::ToolCalls(calls)),
        MockReply::Status {
            code,
            body,
            retry_after,
        } => status_response(code, body, retry_after),
        MockReply::Malformed(body) => raw_response(StatusCode::OK, "application/json", body),
        MockReply::RefuseStreamingWithTools => {
            if request.is_streaming() && request.offers_tools() {
                streaming_refusal()
            } else {
                json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &error_body(
                        "mock script reached refuse_streaming_with_tools, but this request \
                         was not a streaming request with tools",
                    ),
                )
            }
        }
        MockReply::Hang => std::future::pending().await,
        MockReply::Close => {
            let _ = close.send(());
            // Never answer: the connection task drops the socket as soon as it sees the signal.
            std::future::pending().await
        }
        MockReply::Endless => endless_response(request, &answering.model),
        MockReply::Delay(..) => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &error_body("mock endpoint: unreachable nested delay"),
        ),
    }
}

/// A 200 answer whose body never ends (see [`MockReply::Endless`]).
fn endless_response(request: &RecordedRequest, model: &str) -> Response<Body> {
    const BLOCK_BYTES: usize = 64 * 1024;
    let (start, block, content_type) = if request.is_streaming() {
        let event = format!(
            "data: {}\n\n",
            json!({"id": "endless", "object": "chat.completion.chunk", "model": model,
                   "choices": [{"index": 0, "delta": {"content": "again "}, "finish_reason": null}]})
        );
        let block = event.repeat(BLOCK_BYTES / event.len() + 1);
        (String::new(), block, "text/event-stream")
    } else {
        let start = format!(
            "{{\"id\":\"endless\",\"object\":\"chat.completion\",\"model\":{},\
             \"choices\":[{{\"index\":0,\"message\":{{\"role\":\"assistant\",\"content\":\"",
            json!(model)
        );
        (start, "again ".repeat(BLOCK_BYTES / 6), "application/json")
    };
    let block = Bytes::from(block);
    let frames = futures::StreamExt::chain(
        stream::once(async move { Ok::<_, Infallible>(Frame::data(Bytes::from(start))) }),
        stream::repeat_with(move || Ok::<_, Infallible>(Frame::data(block.clone()))),
    );
    let mut response = Response::new(StreamBody::new(frames).boxed());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn answer_output(
    request: &RecordedRequest,
    answering: &Answering,
    output: Output,
) -> Response<Body> {
    if !request.is_streaming() {
        return json_response(StatusCode::OK, &render::completion(answering, &output));
    }
    let events = render::sse_events(&render::stream_chunks(answering, &output));
    // One frame per event so the client sees the deltas arrive separately.
    let frames = stream::iter(
        events
            .into_iter()
            .map(|event| Ok::<_, Infallible>(Frame::data(Bytes::from(event)))),
    );
    let mut response = Response::new(StreamBody::new(frames).boxed());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    response
}

fn streaming_refusal() -> Response<Body> {
    json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        &error_body(STREAMING_REFUSAL_MESSAGE),
    )
}

fn status_response(code: u16, body: String, retry_after: Option<String>) -> Response<Body> {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = if serde_json::from_str::<Value>(&body).is_ok() {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    let mut response = raw_response(status, content_type, body);
    if let Some(value) = retry_after.and_then(|value| HeaderValue::from_str(&value).ok()) {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

/// The OpenAI error envelope.
fn error_body(message: &str) -> Value {
    json!({"error": {"message": message, "type": "mock_error", "param": null, "code": null}})
}

fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    raw_response(status, "application/json", body.to_string())
}

fn raw_response(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body)).boxed());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_request_knows_streaming_and_tools() {
        let request = RecordedRequest {
            method: "POST".into(),
            path: "/v1/chat/completions".into(),
            headers: BTreeMap::new(),
            body: json!({"stream": true, "tools": [{"type": "function"}]}),
        };
        assert!(request.is_chat_completion());
        assert!(request.is_streaming());
        assert!(request.offers_tools());
        let plain = RecordedRequest {
            body: json!({"stream": false, "tools": []}),
            ..request
        };
        assert!(!plain.is_streaming());
        assert!(!plain.offers_tools());
    }

    #[test]
    fn status_response_sets_retry_after_and_keeps_body() {
        let response = status_response(429, "slow".into(), Some("3".into()));
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[RETRY_AFTER], "3");
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
    }
}
