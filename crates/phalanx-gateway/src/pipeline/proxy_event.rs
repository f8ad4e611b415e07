//! The Lambda proxy event, payload format 1.0 (developer guide, "Input
//! format of a Lambda function for proxy integration"), and the REQUEST
//! authorizer's event, which is the same request seen from an authorizer
//! ("Input to an API Gateway Lambda authorizer").
//!
//! The event is serialised straight from the request into its bytes: a
//! [`Serialize`] view over borrowed data, not a `serde_json::Value` tree.
//! Building the tree (a map per object, a `String` per key and value) was
//! most of a proxy request's cost in the gateway (see
//! `docs/PERFORMANCE.md`, "Lambda authorizers: a warm cache").

use super::{Exchange, is_binary, media_type};
use crate::vtl::ContextJson;
use base64::Engine as _;
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::borrow::Cow;

/// Above this many pairs, repeated names are grouped through a hash map
/// rather than by scanning the pairs before each one (quadratic, but
/// faster for the handful of headers a request has).
const SCAN_LIMIT: usize = 32;

/// Who the event is for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Recipient<'a> {
    /// A Lambda proxy integration: the event with the body.
    Integration,
    /// A REQUEST authorizer: `type` and `methodArn` first, no body, and
    /// `{}` rather than null for no path parameters (the developer guide's
    /// example).
    RequestAuthorizer {
        /// The method ARN the policy is evaluated against.
        method_arn: &'a str,
    },
}

/// The event for `x`, the request of the method at `resource_path`, as
/// JSON text.
pub(crate) fn to_bytes(x: &Exchange<'_>, resource_path: &str, recipient: Recipient<'_>) -> Vec<u8> {
    let event = ProxyEvent::new(x, resource_path, recipient);
    // Serialising borrowed strings and maps of strings cannot fail.
    serde_json::to_vec(&event).unwrap_or_default()
}

/// The event's fields, borrowed from the request where they can be.
struct ProxyEvent<'a> {
    x: &'a Exchange<'a>,
    recipient: Recipient<'a>,
    resource: &'a str,
    /// The path after the stage without its leading slashes; the event
    /// has it after one slash, so the slashes right after the stage are
    /// made one: AWS gives `/stage//lp/x` as `/lp/x` (see
    /// `route::after_stage`).
    path: &'a str,
    /// The request's headers and the `X-Forwarded-*` ones AWS adds when
    /// the client sent none, grouped by name once for both the single-
    /// and the multi-value map; likewise the query string and the path
    /// parameters.
    headers: Grouped<'a>,
    query: Grouped<'a>,
    path_parameters: Grouped<'a>,
    /// The body and whether it is base64: the text as it is, base64 when
    /// the content type is one of the API's binary media types or the
    /// bytes are not UTF-8; null when empty.
    body: Option<Cow<'a, str>>,
    is_base64_encoded: bool,
}

impl<'a> ProxyEvent<'a> {
    fn new(x: &'a Exchange<'a>, resource_path: &'a str, recipient: Recipient<'a>) -> Self {
        let (api, request) = (x.api, x.request);
        let mut headers: Vec<(&str, &str)> = x
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let has = |h: &[(&str, &str)], n: &str| h.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
        if !has(&headers, "X-Forwarded-For") {
            headers.push(("X-Forwarded-For", request.source_ip.as_str()));
        }
        if !has(&headers, "X-Forwarded-Proto") {
            headers.push(("X-Forwarded-Proto", "http"));
        }
        let (body, is_base64_encoded) = match recipient {
            Recipient::RequestAuthorizer { .. } => (None, false),
            Recipient::Integration if request.body.is_empty() => (None, false),
            Recipient::Integration => {
                let binary = x
                    .header("content-type")
                    .is_some_and(|ct| is_binary(&media_type(ct), &api.binary_media_types));
                match std::str::from_utf8(&request.body) {
                    Ok(text) if !binary => (Some(Cow::Borrowed(text)), false),
                    _ => (
                        Some(Cow::Owned(
                            base64::engine::general_purpose::STANDARD.encode(&request.body),
                        )),
                        true,
                    ),
                }
            }
        };
        let path = super::route::after_stage(&request.path, &api.stage.stage_name)
            .unwrap_or("")
            .trim_start_matches('/');
        ProxyEvent {
            x,
            recipient,
            resource: resource_path,
            path,
            headers: Grouped::new(headers.into_iter()),
            query: Grouped::of(x.query()),
            path_parameters: Grouped::of(x.path()),
            body,
            is_base64_encoded,
        }
    }
}

impl Serialize for ProxyEvent<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (x, api) = (self.x, self.x.api);
        let mut map = serializer.serialize_map(None)?;
        if let Recipient::RequestAuthorizer { method_arn } = self.recipient {
            map.serialize_entry("type", "REQUEST")?;
            map.serialize_entry("methodArn", method_arn)?;
        }
        map.serialize_entry("resource", self.resource)?;
        map.serialize_entry("path", &format_args!("/{}", self.path))?;
        map.serialize_entry("httpMethod", &x.request.method)?;
        map.serialize_entry("headers", &Single(&self.headers))?;
        map.serialize_entry("multiValueHeaders", &Multi(&self.headers))?;
        map.serialize_entry("queryStringParameters", &Single(&self.query))?;
        map.serialize_entry("multiValueQueryStringParameters", &Multi(&self.query))?;
        match self.recipient {
            Recipient::RequestAuthorizer { .. } if x.path().is_empty() => {
                map.serialize_entry("pathParameters", &EmptyObject)?
            }
            _ => map.serialize_entry("pathParameters", &Single(&self.path_parameters))?,
        }
        let variables = &api.stage.variables;
        map.serialize_entry(
            "stageVariables",
            &(!variables.is_empty()).then_some(variables),
        )?;
        map.serialize_entry(
            "requestContext",
            &ContextJson {
                context: x.context,
                with_error: false,
            },
        )?;
        if let Recipient::Integration = self.recipient {
            map.serialize_entry("body", &self.body)?;
            map.serialize_entry("isBase64Encoded", &self.is_base64_encoded)?;
        }
        map.end()
    }
}

/// `{}`.
struct EmptyObject;

impl Serialize for EmptyObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_map(Some(0))?.end()
    }
}

/// Name/value pairs grouped by name (compared exactly): the names in
/// the order they first appear, each with its values in order.
#[derive(Debug, PartialEq)]
struct Grouped<'a>(Vec<(&'a str, Vec<&'a str>)>);

impl<'a> Grouped<'a> {
    fn new(pairs: impl ExactSizeIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
        if pairs.len() <= SCAN_LIMIT {
            for (name, value) in pairs {
                match groups.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, values)) => values.push(value),
                    None => groups.push((name, vec![value])),
                }
            }
        } else {
            let mut index: std::collections::HashMap<&str, usize> = Default::default();
            for (name, value) in pairs {
                let slot = *index.entry(name).or_insert_with(|| {
                    groups.push((name, Vec::new()));
                    groups.len() - 1
                });
                if let Some((_, values)) = groups.get_mut(slot) {
                    values.push(value);
                }
            }
        }
        Grouped(groups)
    }

    /// [`Grouped::new`] of owned pairs (the request's query string and
    /// path parameters).
    fn of(pairs: &'a [(String, String)]) -> Self {
        Grouped::new(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

/// The pairs as a single-value map (`headers`, `queryStringParameters`,
/// `pathParameters`): a name that repeats keeps its first place and its
/// last value; null when there are none.
struct Single<'a>(&'a Grouped<'a>);

/// The pairs as a multi-value map (`multiValueHeaders`, …): every value of
/// a name in order, the name in its first place; null when there are none.
struct Multi<'a>(&'a Grouped<'a>);

impl Serialize for Single<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.0.is_empty() {
            return serializer.serialize_none();
        }
        let mut map = serializer.serialize_map(Some(self.0.0.len()))?;
        for (name, values) in &self.0.0 {
            map.serialize_entry(name, values.last().copied().unwrap_or(""))?;
        }
        map.end()
    }
}

impl Serialize for Multi<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.0.is_empty() {
            return serializer.serialize_none();
        }
        let mut map = serializer.serialize_map(Some(self.0.0.len()))?;
        for (name, values) in &self.0.0 {
            map.serialize_entry(name, values)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn repeated_names_keep_their_first_place_and_every_value() {
        let list = pairs(&[("a", "1"), ("b", "2"), ("a", "3"), ("A", "4")]);
        let list = Grouped::of(&list);
        assert_eq!(
            serde_json::to_string(&Single(&list)).unwrap_or_default(),
            r#"{"a":"3","b":"2","A":"4"}"#
        );
        assert_eq!(
            serde_json::to_string(&Multi(&list)).unwrap_or_default(),
            r#"{"a":["1","3"],"b":["2"],"A":["4"]}"#
        );
        let none: Vec<(String, String)> = Vec::new();
        let none = Grouped::of(&none);
        assert_eq!(serde_json::to_value(Single(&none)).ok(), Some(json!(null)));
        assert_eq!(serde_json::to_value(Multi(&none)).ok(), Some(json!(null)));
    }

    #[test]
    fn many_pairs_group_as_few_do() {
        // Past the scan limit the hash map groups them; the result is the
        // same as scanning.
        let list: Vec<(String, String)> = (0..100)
            .map(|i| (format!("k{}", i % 7), i.to_string()))
            .collect();
        let Grouped(grouped_by_map) = Grouped::of(&list);
        let mut by_scan: Vec<(&str, Vec<&str>)> = Vec::new();
        for (k, v) in &list {
            match by_scan.iter_mut().find(|(n, _)| *n == k) {
                Some((_, values)) => values.push(v),
                None => by_scan.push((k, vec![v])),
            }
        }
        assert_eq!(grouped_by_map, by_scan);
        assert_eq!(grouped_by_map.len(), 7);
    }
}
