//! Limits on a request's head, answered in the API's JSON error shape: 414 for a long URI, 431
//! for too many or too large headers.
//!
//! hyper refuses heads beyond its own limits (a URI over 64 KiB, more headers than it is set to
//! parse, a head larger than its read buffer) with an empty 414 or 431 before any of this code
//! runs. These limits sit below hyper's, so a client that oversteps them hears why, in JSON.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// The longest request target accepted, in bytes (path and query).
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The most header fields accepted (hyper's own default limit is also 100).
pub const MAX_HEADERS: usize = 100;
/// The most header bytes accepted, names and values together.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Refuses a request whose head is over the limits; passes the others on.
pub async fn check(request: Request, next: Next) -> Response {
    let uri = request.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if uri > MAX_URI_BYTES {
        let message = format!("the request URI is {uri} bytes; at most {MAX_URI_BYTES} are accepted");
        return ApiError::new(StatusCode::URI_TOO_LONG, "uri_too_long", message).into_response();
    }
    let headers = request.headers();
    let bytes: usize = headers.iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        let message = format!(
            "the request has {} headers of {bytes} bytes; at most {MAX_HEADERS} headers of {MAX_HEADER_BYTES} bytes \
             are accepted",
            headers.len()
        );
        return ApiError::new(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large", message)
            .into_response();
    }
    next.run(request).await
}
