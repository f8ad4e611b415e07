//! The Runtime API HTTP server, one per process on its own `127.0.0.1`
//! port: `GET invocation/next` long-polls the process's job slot, `POST
//! invocation/{id}/response` and `invocation/{id}/error` deliver the
//! answer, `POST init/error` reports a runtime that could not start. The
//! answers (`202` `{"status":"OK"}`, `400` `InvalidRequestID`, `413`
//! `RequestEntityTooLarge`) and the 6 MB limit follow AWS's Runtime
//! Interface Emulator.

use super::MAX_RESPONSE_BYTES;
use super::queue::{Reply, WorkerShared};
use crate::invoke::InvokeOutput;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// How much of an oversized body is read (and dropped) before the
/// connection is given up on.
const MAX_DRAINED_BYTES: usize = 64 * 1024 * 1024;

/// The Runtime API version prefix every path starts with.
const API_PREFIX: &str = "/2018-06-01/runtime/";

/// The header runtimes put the error type in on `/error` and `/init/error`.
const ERROR_TYPE_HEADER: &str = "lambda-runtime-function-error-type";

/// What every Runtime API route answers.
type HttpResponse = Response<Full<Bytes>>;

/// Accepts the process's connections, one task each. The tasks live in a
/// `JoinSet` owned by this loop, so aborting the loop ends them all.
pub(super) async fn serve(listener: TcpListener, shared: Arc<WorkerShared>) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of descriptors or similar: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let shared = shared.clone();
        connections.spawn(async move {
            let service = service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(route(&shared, request).await) }
            });
            // A broken connection only concerns that connection.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Dispatches one Runtime API request by path and method.
async fn route(shared: &WorkerShared, request: Request<Incoming>) -> HttpResponse {
    let path = request.uri().path().to_string();
    let Some(rest) = path.strip_prefix(API_PREFIX) else {
        return not_found(&path);
    };
    let method = request.method().clone();
    let expect = |wanted: Method| method == wanted;
    if rest == "invocation/next" {
        return if expect(Method::GET) {
            next(shared).await
        } else {
            method_not_allowed(&method, &path)
        };
    }
    if rest == "init/error" {
        return if expect(Method::POST) {
            init_error(shared, request).await
        } else {
            method_not_allowed(&method, &path)
        };
    }
    let Some(invocation) = rest.strip_prefix("invocation/") else {
        return not_found(&path);
    };
    let (id, is_error) = if let Some(id) = invocation.strip_suffix("/response") {
        (id, false)
    } else if let Some(id) = invocation.strip_suffix("/error") {
        (id, true)
    } else {
        return not_found(&path);
    };
    if !expect(Method::POST) {
        return method_not_allowed(&method, &path);
    }
    let id = percent_encoding::percent_decode_str(id)
        .decode_utf8_lossy()
        .into_owned();
    post_result(shared, &id, is_error, request).await
}

/// `GET /runtime/invocation/next`: waits for this process's next
/// invocation, however long that takes (runtimes set no timeout on it).
async fn next(shared: &WorkerShared) -> HttpResponse {
    let delivery = loop {
        // Created before looking, so a job queued in between still wakes
        // us (`notify_one` leaves a permit when nobody waits yet).
        let ready = shared.job_ready.notified();
        if let Some(delivery) = shared.take() {
            break delivery;
        }
        ready.await;
    };
    let config = &shared.config;
    let mut response = Response::new(Full::new(delivery.payload));
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("lambda-runtime-aws-request-id", delivery.request_id);
    set(
        "lambda-runtime-deadline-ms",
        delivery.deadline_ms.to_string(),
    );
    set("lambda-runtime-invoked-function-arn", config.arn());
    set("lambda-runtime-trace-id", trace_id());
    // awslambdaric fails to unmarshal an event without it.
    set("content-type", "application/json".to_string());
    response
}

/// An X-Ray trace header: `Root=1-{epoch seconds, hex}-{96 random bits};…`.
fn trace_id() -> String {
    let seconds = crate::clock::epoch_millis(SystemTime::now()) / 1000;
    let root = uuid::Uuid::new_v4().as_u128() >> 32;
    // The low 64 bits.
    let parent = uuid::Uuid::new_v4().as_u128() as u64;
    format!("Root=1-{seconds:08x}-{root:024x};Parent={parent:016x};Sampled=0")
}

/// `POST /runtime/invocation/{id}/response` and `…/{id}/error`.
async fn post_result(
    shared: &WorkerShared,
    id: &str,
    is_error: bool,
    request: Request<Incoming>,
) -> HttpResponse {
    // AWS checks the id before reading the body.
    if !shared.is_current(id) {
        return invalid_request_id();
    }
    let error_type = header_text(&request, ERROR_TYPE_HEADER);
    let body = match read_body(request).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            shared.answer(id, Reply::TooLarge);
            return too_large();
        }
        // The connection broke mid-body; the runtime may try again.
        Err(BodyError::Broken(why)) => {
            return error_response(StatusCode::BAD_REQUEST, &why, "InvalidRequest");
        }
    };
    let reply = if is_error {
        Reply::Error(error_object(body, error_type.as_deref()))
    } else {
        Reply::Response(body)
    };
    if shared.answer(id, reply) {
        accepted()
    } else {
        invalid_request_id()
    }
}

/// `POST /runtime/init/error`: the runtime could not start the function.
async fn init_error(shared: &WorkerShared, request: Request<Incoming>) -> HttpResponse {
    let error_type = header_text(&request, ERROR_TYPE_HEADER);
    match read_body(request).await {
        Ok(body) => {
            shared.init_failed(error_object(body, error_type.as_deref()));
            accepted()
        }
        Err(BodyError::TooLarge) => {
            let message = "the runtime's init error was over the payload limit";
            let body =
                InvokeOutput::error(message, error_type.as_deref().unwrap_or("Runtime.Unknown"));
            if let InvokeOutput::FunctionError(body) = body {
                shared.init_failed(body);
            }
            too_large()
        }
        Err(BodyError::Broken(why)) => {
            error_response(StatusCode::BAD_REQUEST, &why, "InvalidRequest")
        }
    }
}

/// A header's value as text, if present and not empty.
fn header_text(request: &Request<Incoming>, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty())
        .map(str::to_string)
}

/// Why a posted body could not be read.
enum BodyError {
    /// Over [`MAX_RESPONSE_BYTES`].
    TooLarge,
    /// The connection broke mid-body.
    Broken(String),
}

/// Reads a posted body of at most [`MAX_RESPONSE_BYTES`]. A longer one is
/// still read to its end (up to [`MAX_DRAINED_BYTES`]), so the runtime gets
/// our `413` rather than a connection reset mid-upload.
async fn read_body(request: Request<Incoming>) -> Result<Bytes, BodyError> {
    let mut body = request.into_body();
    let mut data = Vec::new();
    let mut total: usize = 0;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| BodyError::Broken(format!("cannot read the request body: {e}")))?;
        if let Ok(chunk) = frame.into_data() {
            total = total.saturating_add(chunk.len());
            if total > MAX_DRAINED_BYTES {
                return Err(BodyError::TooLarge);
            }
            if total <= MAX_RESPONSE_BYTES {
                data.extend_from_slice(&chunk);
            }
        }
    }
    if total > MAX_RESPONSE_BYTES {
        Err(BodyError::TooLarge)
    } else {
        Ok(Bytes::from(data))
    }
}

/// Lambda's error object from what a runtime posted: a JSON object passes
/// through untouched (awslambdaric's carries `errorMessage`, `errorType`,
/// `requestId`, `stackTrace`); anything else becomes the `errorMessage` of
/// one, typed by the `Lambda-Runtime-Function-Error-Type` header.
fn error_object(body: Bytes, error_type: Option<&str>) -> Bytes {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let message = match parsed {
        Some(serde_json::Value::Object(_)) => return body,
        Some(serde_json::Value::String(text)) => text,
        _ => String::from_utf8_lossy(&body).into_owned(),
    };
    let object = serde_json::json!({
        "errorMessage": message,
        "errorType": error_type.unwrap_or("Unhandled"),
    });
    Bytes::from(object.to_string())
}

/// A JSON answer with `status`.
fn json_response(status: StatusCode, body: serde_json::Value) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `{"errorMessage": …, "errorType": …}` with `status`.
fn error_response(status: StatusCode, message: &str, error_type: &str) -> HttpResponse {
    json_response(
        status,
        serde_json::json!({ "errorMessage": message, "errorType": error_type }),
    )
}

/// `202 {"status":"OK"}`: a result or init error taken.
fn accepted() -> HttpResponse {
    json_response(StatusCode::ACCEPTED, serde_json::json!({ "status": "OK" }))
}

/// `400 InvalidRequestID`: not the invocation the process holds.
fn invalid_request_id() -> HttpResponse {
    error_response(
        StatusCode::BAD_REQUEST,
        "Invalid request ID",
        "InvalidRequestID",
    )
}

/// `413 RequestEntityTooLarge`: a body over [`MAX_RESPONSE_BYTES`].
fn too_large() -> HttpResponse {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."),
        "RequestEntityTooLarge",
    )
}

/// `404` for a path the Runtime API does not have.
fn not_found(path: &str) -> HttpResponse {
    error_response(
        StatusCode::NOT_FOUND,
        &format!("no Runtime API resource at {path}"),
        "NotFound",
    )
}

/// `405` for a Runtime API path asked with the wrong method.
fn method_not_allowed(method: &Method, path: &str) -> HttpResponse {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("{method} is not allowed on {path}"),
        "MethodNotAllowed",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(bytes: &Bytes) -> serde_json::Value {
        serde_json::from_slice(bytes).expect("JSON")
    }

    #[test]
    fn error_objects_pass_through_and_other_bodies_are_wrapped() {
        let object = Bytes::from(r#"{"errorMessage":"x","errorType":"E","stackTrace":[]}"#);
        assert_eq!(error_object(object.clone(), Some("Other")), object);

        let wrapped = error_object(Bytes::from("plain failure"), Some("Custom.Text"));
        assert_eq!(
            json(&wrapped),
            serde_json::json!({"errorMessage": "plain failure", "errorType": "Custom.Text"})
        );
        let string = error_object(Bytes::from(r#""quoted""#), None);
        assert_eq!(
            json(&string),
            serde_json::json!({"errorMessage": "quoted", "errorType": "Unhandled"})
        );
        let invalid = error_object(Bytes::from_static(b"\xff[1"), None);
        assert_eq!(json(&invalid)["errorType"], "Unhandled");
    }

    #[test]
    fn trace_ids_have_xrays_shape() {
        let id = trace_id();
        let parts: Vec<&str> = id.split(';').collect();
        assert_eq!(parts.len(), 3, "{id}");
        let root: Vec<&str> = parts[0].trim_start_matches("Root=").split('-').collect();
        assert_eq!(root[0], "1");
        assert_eq!(root[1].len(), 8);
        assert_eq!(root[2].len(), 24);
        assert_eq!(parts[1].len(), "Parent=".len() + 16);
        assert_eq!(parts[2], "Sampled=0");
    }
}
