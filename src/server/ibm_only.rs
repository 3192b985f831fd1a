//! `serve --ibm-only`: the server as one that speaks only IBM's IAM
//! Identity API, for trying clients against an IBM-compatible endpoint
//! without IBM. Besides the routes it leaves out (`/iamkeys/v1/`, the
//! persona grant) and the keys it does not carry (classic infrastructure
//! keys, refused where the handlers read a key), its answers lose the
//! fields only iamkeys writes: here.

use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Fields of an API key only iamkeys writes (see `WireKey`).
const KEY_FIELDS: [&str; 4] = ["kind", "managed_by", "owner_name", "created_by_name"];

/// The largest answer rewritten: a page of 100 keys with their history is
/// far below it. A larger one is passed on as it is.
const MAX_ANSWER: usize = 64 * 1024 * 1024;

/// Takes the iamkeys-only fields out of a successful JSON answer.
pub async fn answers(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let json = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !res.status().is_success() || !json {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ANSWER).await else {
        tracing::error!("an answer could not be read to take iamkeys' fields out");
        return super::errors::ApiError::internal().into_response();
    };
    let Ok(mut doc) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    strip(&mut doc);
    let Ok(out) = serde_json::to_vec(&doc) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(out))
}

/// Removes, at any depth, the fields of [`KEY_FIELDS`] and every field
/// whose name starts with `iamkeys_`.
fn strip(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|k, _| !KEY_FIELDS.contains(&k.as_str()) && !k.starts_with("iamkeys_"));
            map.values_mut().for_each(strip);
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iamkeys_fields_go_at_any_depth_and_ibm_fields_stay() {
        let mut v = serde_json::json!({
            "offset": 0,
            "apikeys": [{"id": "ApiKey-1", "name": "kind", "kind": "user", "owner_name": "a@b",
                         "created_by_name": "a@b", "managed_by": "x", "iam_id": "IBMid-1"}],
            "iamkeys_change_refused": null,
            "restrict_create_platform_apikey": "NOT_SET",
        });
        strip(&mut v);
        assert_eq!(
            v,
            serde_json::json!({
                "offset": 0,
                "apikeys": [{"id": "ApiKey-1", "name": "kind", "iam_id": "IBMid-1"}],
                "restrict_create_platform_apikey": "NOT_SET",
            })
        );
    }
}
