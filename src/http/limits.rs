//! What one client may hold: live streams (globally, per conversation, per account), new webchat
//! conversations (per client address and per widget key), and how long a request body may take.
//!
//! Each refusal is a JSON error with `Retry-After`, so a well-behaved client knows when to come
//! back. The connection cap and the header timeout live with the accept loop (`server`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::error::ApiError;
use crate::config::Limits;
use crate::ids::{AccountId, RoomId};

/// How long a client refused a live stream is asked to wait: slots free up as other streams end.
const STREAM_RETRY: Duration = Duration::from_secs(10);

/// A refusal that passes with time: `status` with `code`, and `Retry-After` in whole seconds.
fn refuse(status: StatusCode, code: &'static str, message: impl Into<String>, after: Duration) -> ApiError {
    ApiError::new(status, code, message).retry_after(retry_seconds(after))
}

/// Whole seconds, rounded up, never zero (a `Retry-After: 0` invites an immediate retry).
pub fn retry_seconds(after: Duration) -> u64 {
    (after.as_secs() + u64::from(after.subsec_nanos() > 0)).max(1)
}

/// The bounds shared by every request of one server.
pub struct Admission {
    streams: Mutex<Streams>,
    max_streams: usize,
    per_conversation: usize,
    per_account: usize,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    per_widget_key: DefaultKeyedRateLimiter<String>,
    body_timeout: Duration,
}

/// Who holds the live streams now.
#[derive(Default)]
struct Streams {
    total: usize,
    by_holder: HashMap<Holder, usize>,
}

/// What a live stream is counted against besides the global cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holder {
    /// A customer's webchat conversation.
    Conversation(RoomId),
    /// A counselor's console.
    Account(AccountId),
}

/// One live stream's place; dropping it (with the stream) frees the place.
pub struct StreamGuard {
    admission: Arc<Admission>,
    holder: Holder,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let mut streams = self.admission.streams.lock().unwrap_or_else(PoisonError::into_inner);
        streams.total = streams.total.saturating_sub(1);
        if let Some(count) = streams.by_holder.get_mut(&self.holder) {
            *count -= 1;
            if *count == 0 {
                streams.by_holder.remove(&self.holder);
            }
        }
    }
}

fn quota(per_minute: u32) -> Quota {
    let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = rate.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN));
    Quota::per_minute(rate).allow_burst(burst)
}

impl Admission {
    /// The bounds `limits` asks for.
    pub fn new(limits: &Limits) -> Arc<Self> {
        Arc::new(Self {
            streams: Mutex::default(),
            max_streams: limits.max_streams,
            per_conversation: limits.max_streams_per_conversation,
            per_account: limits.max_streams_per_account,
            per_address: RateLimiter::keyed(quota(limits.conversations_per_address)),
            per_widget_key: RateLimiter::keyed(quota(limits.conversations_per_widget_key)),
            body_timeout: limits.body_timeout,
        })
    }

    /// A place for one more live stream of `holder`, or 429 `too_many_streams`.
    pub fn open_stream(self: &Arc<Self>, holder: Holder) -> Result<StreamGuard, ApiError> {
        let mut streams = self.streams.lock().unwrap_or_else(PoisonError::into_inner);
        let (cap, whose) = match holder {
            Holder::Conversation(_) => (self.per_conversation, "this conversation"),
            Holder::Account(_) => (self.per_account, "this account"),
        };
        let held = streams.by_holder.get(&holder).copied().unwrap_or(0);
        let refusal = if held >= cap {
            Some(format!("{whose} already has {held} live streams open; close one or retry later"))
        } else if streams.total >= self.max_streams {
            Some("the server has as many live streams open as it allows; retry later".to_owned())
        } else {
            None
        };
        if let Some(message) = refusal {
            return Err(refuse(StatusCode::TOO_MANY_REQUESTS, "too_many_streams", message, STREAM_RETRY));
        }
        streams.total += 1;
        *streams.by_holder.entry(holder).or_default() += 1;
        Ok(StreamGuard { admission: Arc::clone(self), holder })
    }

    /// Counts one new conversation against the client's address and the widget key, or 429
    /// `too_many_conversations` saying when the next one will be accepted.
    pub fn open_conversation(&self, address: Option<IpAddr>, widget_key: Option<&str>) -> Result<(), ApiError> {
        let refuse = |wait: Duration, whose: &str| {
            refuse(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_conversations",
                format!("{whose} has opened too many conversations; retry in {} s", retry_seconds(wait)),
                wait,
            )
        };
        let now = DefaultClock::default().now();
        // The address first: a stream of made-up widget keys from one address then stops here
        // before it can fill the per-key table.
        if let Some(address) = address {
            self.per_address.check_key(&address).map_err(|n| refuse(n.wait_time_from(now), "this address"))?;
        }
        if let Some(key) = widget_key {
            self.per_widget_key
                .check_key(&key.to_owned())
                .map_err(|n| refuse(n.wait_time_from(now), "this widget key"))?;
        }
        Ok(())
    }

    /// Forgets addresses and keys whose allowance is full again, so the tables stay small.
    pub fn forget_idle(&self) {
        self.per_address.retain_recent();
        self.per_address.shrink_to_fit();
        self.per_widget_key.retain_recent();
        self.per_widget_key.shrink_to_fit();
    }
}

/// Gives each request body `body_timeout` from the end of its headers; a body still arriving
/// then is cut and the request answered 408 `request_timeout` (and the connection closed). Only
/// reading the request is timed: a response, such as a live stream, may last as long as it likes.
pub async fn body_deadline(State(admission): State<Arc<Admission>>, request: Request, next: Next) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let expired = Arc::new(AtomicBool::new(false));
    let deadline = tokio::time::Instant::now() + admission.body_timeout;
    let (parts, body) = request.into_parts();
    let flag = Arc::clone(&expired);
    let data = futures_util::stream::unfold(Some(body.into_data_stream()), move |data| {
        let flag = Arc::clone(&flag);
        async move {
            let mut data = data?;
            // Data already there wins over a deadline that has just passed.
            match tokio::time::timeout_at(deadline, data.next()).await {
                Ok(Some(chunk)) => Some((chunk, Some(data))),
                Ok(None) => None,
                Err(_) => {
                    flag.store(true, Ordering::Relaxed);
                    Some((Err(axum::Error::new("the request body took too long")), None))
                }
            }
        }
    });
    let response = next.run(Request::from_parts(parts, Body::from_stream(data))).await;
    if !expired.load(Ordering::Relaxed) {
        return response;
    }
    let message = format!("the request body did not arrive within {} s", retry_seconds(admission.body_timeout));
    let mut timed_out = ApiError::new(StatusCode::REQUEST_TIMEOUT, "request_timeout", message).into_response();
    timed_out.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    timed_out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(streams: usize, per: usize) -> Arc<Admission> {
        Admission::new(&Limits {
            max_streams: streams,
            max_streams_per_conversation: per,
            max_streams_per_account: per,
            conversations_per_address: 1,
            conversations_per_widget_key: 2,
            ..Limits::default()
        })
    }

    #[test]
    fn stream_places_are_counted_and_given_back() {
        let a = admission(3, 2);
        let room = Holder::Conversation(RoomId::new());
        let first = a.open_stream(room).expect("first");
        let _second = a.open_stream(room).expect("second");
        assert!(a.open_stream(room).is_err(), "a third stream of one conversation is refused");
        let _other = a.open_stream(Holder::Account(AccountId::new())).expect("another holder");
        assert!(a.open_stream(Holder::Conversation(RoomId::new())).is_err(), "the global cap holds");
        drop(first);
        a.open_stream(room).expect("a place freed by a closed stream is free again");
    }

    #[test]
    fn conversations_are_limited_per_address_then_per_key() {
        let a = admission(1, 1);
        let [one, two, three]: [IpAddr; 3] = ["10.0.0.1", "10.0.0.2", "10.0.0.3"].map(|a| a.parse().unwrap());
        // Burst of twice the per-minute rate.
        assert!(a.open_conversation(Some(one), Some("k")).is_ok());
        assert!(a.open_conversation(Some(one), Some("k")).is_ok());
        let refused = a.open_conversation(Some(one), Some("k")).unwrap_err().into_response();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = refused.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(a.open_conversation(Some(two), Some("k")).is_ok());
        assert!(a.open_conversation(Some(two), Some("k")).is_ok());
        assert!(a.open_conversation(Some(three), Some("k")).is_err(), "the key's own allowance (4) is spent");
        assert!(a.open_conversation(Some(three), Some("other")).is_ok());
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_seconds(Duration::ZERO), 1);
        assert_eq!(retry_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_seconds(Duration::from_secs(2)), 2);
        assert_eq!(retry_seconds(Duration::from_millis(2001)), 3);
    }
}
