//! IAM authorization (`AWS_IAM`): the request must be signed with
//! Signature Version 4 for service `execute-api` and the gateway's region,
//! by an access key of [`super::LocalAuth`], either in the `Authorization`
//! header (`AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`)
//! or in the query string, as a presigned URL (`X-Amz-Algorithm`,
//! `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
//! `X-Amz-SignedHeaders`, `X-Amz-Signature`, and `X-Amz-Security-Token`
//! for temporary credentials: IAM User Guide, "Create a signed AWS API
//! request"; S3 API reference, "Authenticating Requests: Using Query
//! Parameters (AWS Signature Version 4)"; every API reference's "Common
//! Parameters"). The signature is recomputed by the AWS SDK's own signer
//! (`aws-sigv4`) from the request as received — method, path as the
//! client encoded it, query string (without the `X-Amz-*` signing
//! parameters, which the signer adds back, for a presigned URL), the
//! headers named in `SignedHeaders`, the body — and compared.
//!
//! The timestamp is `X-Amz-Date` (header or query parameter), else the
//! `Date` header, in the ISO 8601 basic format either way (General
//! Reference, "Handling dates in Signature Version 4").
//!
//! AWS's answers (all 403), from the knowledge-center articles "How do I
//! troubleshoot HTTP 403 errors from API Gateway?" and "…signature
//! mismatch errors when making SigV4 signed requests with IAM
//! authentication to API Gateway?" (re:Post), and recorded responses:
//!
//! - neither an `Authorization` header nor `X-Amz-Algorithm` in the query:
//!   `MISSING_AUTHENTICATION_TOKEN`, `Missing Authentication Token`;
//! - an unknown access key, or a session token (`X-Amz-Security-Token`
//!   header or query parameter) missing, unexpected or not the key's:
//!   `The security token included in the request is invalid.`, with
//!   `x-amzn-ErrorType: AccessDeniedException` (`ACCESS_DENIED`);
//! - a wrong signature: `INVALID_SIGNATURE`, `The request signature we
//!   calculated does not match the signature you provided. Check your AWS
//!   Secret Access Key and signing method. Consult the service
//!   documentation for details.` AWS goes on with the canonical request
//!   and string to sign it expected (a recording in Broadcom's knowledge
//!   base, article 186297); `aws-sigv4` does not expose them, so the
//!   message stops there;
//! - a request signed more than 5 minutes before or after now:
//!   `INVALID_SIGNATURE`, `Signature expired: 20240522T115159Z is now
//!   earlier than 20240522T120519Z (20240522T121019Z - 5 min.)` (recorded
//!   with `x-amzn-ErrorType: InvalidSignatureException`), or `Signature
//!   not yet current: … is still later than … (… + 5 min.)`. This holds
//!   for presigned URLs too, whatever their `X-Amz-Expires`: outside S3,
//!   AWS services keep their fixed window (aws/aws-sdk-go#2224);
//! - a presigned URL past its `X-Amz-Expires`: `INVALID_SIGNATURE`,
//!   `Signature expired: … is now earlier than … (… - 60 sec.)`. No
//!   recording of this answer from API Gateway was found: it is the
//!   recorded message with the URL's lifetime in place of the window;
//! - a request signed both ways: `INVALID_SIGNATURE`, `Found both
//!   'X-Amz-Algorithm' as a query-string param and 'Authorization' as
//!   HTTP header.`;
//! - a malformed `Authorization` header or presigned URL: AWS answers
//!   `IncompleteSignatureException` with messages such as `Authorization
//!   header requires 'Credential' parameter.`, `AWS query-string
//!   parameters must include 'X-Amz-Signature'. Re-examine the
//!   query-string parameters.` or `Date must be in ISO-8601 'basic
//!   format'. …`; no response type has that name, so
//!   `MISSING_AUTHENTICATION_TOKEN` (403) carries AWS's message here (its
//!   `x-amzn-ErrorType` differs from AWS's).
//!
//! The query-string messages and the "Found both" one are those of
//! dynalite (`mhart/dynalite`, `index.js`, which records DynamoDB's
//! answers, the same AWS request authentication) and
//! scratchstack-aws-signature (`dacut/scratchstack-aws-signature`,
//! `src/canonical.rs`).
//!
//! Not done: a presigned URL without `X-Amz-Expires` (AWS's own query
//! example in "Create a signed AWS API request" has none) is refused,
//! because `aws-sigv4` always signs one; a `Date` header in RFC 1123 form
//! is refused (`Date must be in ISO-8601 'basic format'`); IAM policies are
//! not evaluated: any known key may call every `AWS_IAM` method.

use super::{AccessKey, LocalAuth};
use crate::pipeline::{GatewayError, GatewayRequest, ResponseType};
use crate::vtl::Identity;
use aws_sigv4::http_request::{
    PercentEncodingMode, SessionTokenMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use std::time::{Duration, SystemTime};

const SERVICE: &str = "execute-api";
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const SKEW: Duration = Duration::from_secs(5 * 60);

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const INVALID_TOKEN: &str = "The security token included in the request is invalid.";

/// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/
/// REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex`.
struct Parsed<'a> {
    access_key: &'a str,
    scope_date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn incomplete(message: String) -> GatewayError {
    GatewayError::new(ResponseType::MissingAuthenticationToken, &message)
        .with_detail("malformed SigV4 Authorization header or X-Amz-* query parameters")
}

fn parse(value: &str) -> Result<Parsed<'_>, GatewayError> {
    let Some(rest) = value.strip_prefix(ALGORITHM).filter(|r| r.starts_with(' ')) else {
        // AWS lists what is missing, then echoes the header.
        return Err(incomplete(format!(
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={value}"
        )));
    };
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((key, val)) = part.split_once('=') else {
            return Err(incomplete(format!(
                "'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{value}'."
            )));
        };
        match key.trim() {
            "Credential" => credential = Some(val.trim()),
            "SignedHeaders" => signed = Some(val.trim()),
            "Signature" => signature = Some(val.trim()),
            _ => {}
        }
    }
    let mut missing = String::new();
    for (name, v) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed),
    ] {
        if v.is_none() {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(incomplete(format!("{missing}Authorization={value}")));
    };
    let mut scope = credential.split('/');
    let (
        Some(access_key),
        Some(scope_date),
        Some(region),
        Some(service),
        Some("aws4_request"),
        None,
    ) = (
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
    )
    else {
        return Err(incomplete(format!(
            "Credential should be scoped to a valid region. Authorization={value}"
        )));
    };
    Ok(Parsed {
        access_key,
        scope_date,
        region,
        service,
        signed_headers: signed.split(';').map(str::trim).collect(),
        signature,
    })
}

fn invalid_signature(message: &str, detail: impl Into<String>) -> GatewayError {
    GatewayError::new(ResponseType::InvalidSignature, message).with_detail(detail)
}

/// Where the signature came, and what else that decides.
enum Location {
    /// `Authorization` header; the timestamp in `X-Amz-Date`, or in `Date`
    /// when `by_date`.
    Header { by_date: bool },
    /// Query string (a presigned URL): `X-Amz-Expires` seconds of validity.
    Query { expires: Duration },
}

/// What a signed request claims, from its `Authorization` header or its
/// `X-Amz-*` query parameters.
struct Signed {
    access_key: String,
    scope_date: String,
    region: String,
    service: String,
    signed_headers: Vec<String>,
    signature: String,
    /// The timestamp as sent.
    date: String,
    /// The instant `date` names.
    signed_at: SystemTime,
    token: Option<String>,
    location: Location,
}

/// The query parameters of a presigned URL, by name.
const QUERY_AUTH: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
];

/// SigV4 signing keys last 7 days, so no presigned URL may be valid
/// longer (S3 API reference, "Authenticating Requests: Using Query
/// Parameters").
const MAX_EXPIRES: u64 = 7 * 24 * 60 * 60;

/// A query string's `name=value` pairs, names and values percent-decoded.
/// Invalid UTF-8 is replaced, not refused: such a value cannot match
/// anything it is compared with.
fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    query.split('&').filter(|p| !p.is_empty()).map(move |pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(k), decode(v))
    })
}

/// Whether a query string's `name=value` pair is parameter `name` (its
/// name percent-decoded, as clients may encode it).
fn is_param(pair: &str, name: &str) -> bool {
    let key = pair.split_once('=').map_or(pair, |(k, _)| k);
    percent_encoding::percent_decode_str(key)
        .decode_utf8()
        .is_ok_and(|k| k == name)
}

fn bad_date(date: &str) -> GatewayError {
    incomplete(format!(
        "Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

/// The last value of a header (names compared without case).
fn last<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The claims of a header-signed request.
fn from_header(authorization: &str, headers: &[(String, String)]) -> Result<Signed, GatewayError> {
    let header = |name: &str| last(headers, name);
    let parsed = parse(authorization)?;
    // "AWS first checks the x-amz-date header or parameter for a time
    // stamp. If AWS can't find a value for x-amz-date, it looks for the
    // date header." (General Reference, "Handling dates in Signature
    // Version 4").
    let (date, by_date) = match (header("x-amz-date"), header("date")) {
        (Some(d), _) => (d.trim(), false),
        (None, Some(d)) => (d.trim(), true),
        (None, None) => {
            return Err(incomplete(format!(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={authorization}"
            )));
        }
    };
    // Only the ISO 8601 basic format, in `Date` too: "The time stamp must
    // be in UTC and in the following ISO 8601 format: YYYYMMDD'T'HHMMSS'Z'"
    // (same page), and X-Amz-Date "is not required" only "if the Date
    // header is specified in the ISO 8601 basic format" (the APIs' "Common
    // Parameters"). S3 takes an RFC 1123 `Date` into its string to sign
    // as written (ceph/s3-tests#346), which `aws-sigv4` cannot reproduce;
    // API Gateway is not recorded doing so.
    let signed_at = crate::clock::parse_amz_date(date).ok_or_else(|| bad_date(date))?;
    Ok(Signed {
        access_key: parsed.access_key.to_owned(),
        scope_date: parsed.scope_date.to_owned(),
        region: parsed.region.to_owned(),
        service: parsed.service.to_owned(),
        signed_headers: parsed
            .signed_headers
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
        signature: parsed.signature.to_owned(),
        date: date.to_owned(),
        signed_at,
        token: header("x-amz-security-token").map(str::to_owned),
        location: Location::Header { by_date },
    })
}

/// The claims of a presigned URL (`X-Amz-Algorithm=AWS4-HMAC-SHA256&
/// X-Amz-Credential=…&X-Amz-Date=…&X-Amz-Expires=…&X-Amz-SignedHeaders=…
/// &X-Amz-Signature=…`). Messages are AWS's `IncompleteSignatureException`
/// ones as recorded by dynalite and scratchstack-aws-signature, which
/// model AWS's request authentication (see the module docs).
fn from_query(query: &str) -> Result<Signed, GatewayError> {
    // The first of repeated parameters counts (scratchstack-aws-signature
    // `test_auth_component_ordering`).
    let mut found: [Option<String>; 7] = Default::default();
    for (k, v) in query_pairs(query) {
        if let Some(i) = QUERY_AUTH.iter().position(|n| *n == k) {
            found[i].get_or_insert(v);
        }
    }
    let [
        algorithm,
        credential,
        date,
        expires,
        signed,
        signature,
        token,
    ] = found;
    let mut missing = String::new();
    for (name, v) in [
        ("X-Amz-Credential", &credential),
        ("X-Amz-Signature", &signature),
        ("X-Amz-SignedHeaders", &signed),
        ("X-Amz-Date", &date),
    ] {
        if v.is_none() {
            missing.push_str(&format!(
                "AWS query-string parameters must include '{name}'. "
            ));
        }
    }
    let (Some(credential), Some(signature), Some(signed), Some(date)) =
        (credential, signature, signed, date)
    else {
        return Err(incomplete(format!(
            "{missing}Re-examine the query-string parameters."
        )));
    };
    let signed_at = crate::clock::parse_amz_date(&date).ok_or_else(|| bad_date(&date))?;
    let algorithm = algorithm.unwrap_or_default();
    if algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} for now). "
        )));
    }
    // `aws-sigv4` writes X-Amz-Expires into the canonical query itself,
    // so a URL without one cannot be recomputed: it is refused, as S3
    // refuses it (its "Authenticating Requests: Using Query Parameters"
    // lists X-Amz-Expires as required). The messages are S3's
    // AuthorizationQueryParametersError ones as S3 emulators reproduce
    // them (OpenStack Swift's s3api has the first two; the week limit is
    // worded as an Amazon Transcribe streaming client quotes AWS's
    // answer to its presigned WebSocket URL); API Gateway's are not
    // recorded.
    let Some(expires) = expires else {
        return Err(incomplete(
            "AWS query-string parameters must include 'X-Amz-Expires'. Re-examine the query-string parameters.".to_owned(),
        ));
    };
    let seconds = match expires.parse::<i64>() {
        Err(_) => return Err(incomplete("X-Amz-Expires should be a number".to_owned())),
        Ok(s) if s < 0 => {
            return Err(incomplete("X-Amz-Expires must be non-negative".to_owned()));
        }
        Ok(s) => s.unsigned_abs(),
    };
    if seconds > MAX_EXPIRES {
        return Err(incomplete(format!(
            "X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES}"
        )));
    }
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key, scope_date, region, service, terminator] = parts[..] else {
        return Err(incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        )));
    };
    if terminator != "aws4_request" {
        return Err(invalid_signature(
            &format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
            ),
            "X-Amz-Credential does not end in aws4_request",
        ));
    }
    Ok(Signed {
        access_key: access_key.to_owned(),
        scope_date: scope_date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_headers: signed
            .split(';')
            .map(|h| h.trim().to_ascii_lowercase())
            .collect(),
        signature,
        date,
        signed_at,
        token,
        location: Location::Query {
            expires: Duration::from_secs(seconds),
        },
    })
}

/// Checks the request's SigV4 signature, in the `Authorization` header or
/// in the query string (a presigned URL); on success fills
/// `$context.identity` with the signer (access key, account, user).
pub(crate) fn authorize(
    auth: &LocalAuth,
    request: &GatewayRequest,
    headers: &[(String, String)],
    account_id: &str,
    now: SystemTime,
    identity: &mut Identity,
) -> Result<(), GatewayError> {
    let presigned = request
        .query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|p| is_param(p, "X-Amz-Algorithm")));
    let signed = match (last(headers, "authorization"), presigned) {
        (Some(_), true) => {
            // Recorded by dynalite as InvalidSignatureException.
            return Err(invalid_signature(
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
                "the request is signed both in the Authorization header and in the query string",
            ));
        }
        (Some(authorization), false) => from_header(authorization.trim(), headers)?,
        (None, true) => from_query(request.query.as_deref().unwrap_or_default())?,
        (None, false) => {
            return Err(GatewayError::missing_authentication_token().with_detail(
                "the method is AWS_IAM and the request has neither an Authorization header nor X-Amz-* query parameters",
            ));
        }
    };
    let key = verify(auth, request, headers, &signed, now)?;

    // An IAM user's identity as AWS shows it: caller and user are the
    // user's unique id (`AIDA…`), userArn its ARN.
    let user_id = format!(
        "AIDA{}",
        crate::ids::characters(&signed.access_key, 17, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    );
    identity.access_key = signed.access_key.clone();
    identity.account_id = account_id.to_owned();
    identity.caller = user_id.clone();
    identity.user = user_id;
    identity.user_arn = format!("arn:aws:iam::{account_id}:user/{}", key.user_name);
    Ok(())
}

/// The checks AWS makes, in its order: time, key, session token, scope,
/// signature. The signer's key when all pass.
fn verify<'a>(
    auth: &'a LocalAuth,
    request: &GatewayRequest,
    headers: &[(String, String)],
    signed: &Signed,
    now: SystemTime,
) -> Result<&'a AccessKey, GatewayError> {
    let stamp = crate::clock::amz_date;
    let signed_at = signed.signed_at;
    if let Location::Query { expires } = signed.location
        && signed_at + expires < now
    {
        // No recording of API Gateway refusing an expired presigned URL
        // was found; this is the recorded `Signature expired` message
        // with X-Amz-Expires in place of the 5-minute window.
        return Err(invalid_signature(
            &format!(
                "Signature expired: {} is now earlier than {} ({} - {} sec.)",
                signed.date,
                stamp(now.checked_sub(expires).unwrap_or(now)),
                stamp(now),
                expires.as_secs()
            ),
            "X-Amz-Date + X-Amz-Expires is before now",
        ));
    }
    // The 5-minute window holds for presigned URLs too: X-Amz-Expires
    // cannot lengthen it. AWS SDK maintainers: the expiry "only will be
    // used for Amazon S3 presigned API requests. All other AWS services
    // will use a fixed request signature expiration" (aws/aws-sdk-go
    // #2224, answering #2167).
    if signed_at + SKEW < now {
        return Err(invalid_signature(
            &format!(
                "Signature expired: {} is now earlier than {} ({} - 5 min.)",
                stamp(signed_at),
                stamp(now - SKEW),
                stamp(now)
            ),
            "the signature's date is more than 5 minutes before now",
        ));
    }
    if signed_at > now + SKEW {
        return Err(invalid_signature(
            &format!(
                "Signature not yet current: {} is still later than {} ({} + 5 min.)",
                stamp(signed_at),
                stamp(now + SKEW),
                stamp(now)
            ),
            "the signature's date is more than 5 minutes after now",
        ));
    }

    let Some(key) = auth.access_key(&signed.access_key) else {
        return Err(GatewayError::new(ResponseType::AccessDenied, INVALID_TOKEN)
            .with_detail(format!("unknown access key {:?}", signed.access_key)));
    };
    if key.session_token.as_deref() != signed.token.as_deref() {
        return Err(GatewayError::new(ResponseType::AccessDenied, INVALID_TOKEN)
            .with_detail("X-Amz-Security-Token does not match the key's session token"));
    }
    if signed.service != SERVICE {
        return Err(invalid_signature(
            &format!("Credential should be scoped to correct service: '{SERVICE}'. "),
            format!("signed for service {:?}", signed.service),
        ));
    }
    if signed.region != auth.region() {
        return Err(invalid_signature(
            &format!(
                "Credential should be scoped to a valid region, not '{}'. ",
                signed.region
            ),
            format!("the gateway's region is {:?}", auth.region()),
        ));
    }
    let day = stamp(signed_at);
    let day = day.get(..8).unwrap_or_default();
    if signed.scope_date != day {
        return Err(invalid_signature(
            &format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{day}', from '{}'.",
                signed.scope_date, signed.date
            ),
            "the credential scope's date is not the request's",
        ));
    }

    let expected = expected_signature(request, headers, signed, &key.secret)
        .map_err(|e| invalid_signature(MISMATCH, format!("the request cannot be signed: {e}")))?;
    if !constant_time_eq(expected.as_bytes(), signed.signature.as_bytes()) {
        return Err(invalid_signature(
            MISMATCH,
            "the signature differs from the one computed with the key's secret",
        ));
    }
    Ok(key)
}

/// The signature `aws-sigv4` computes for the request with `secret`.
fn expected_signature(
    request: &GatewayRequest,
    headers: &[(String, String)],
    signed: &Signed,
    secret: &str,
) -> Result<String, String> {
    let is_signed = |name: &str| signed.signed_headers.iter().any(|h| h == name);
    // Only the headers the client signed, names as SigV4 writes them.
    let chosen: Vec<(String, &str)> = headers
        .iter()
        .filter_map(|(k, v)| {
            let lower = k.to_ascii_lowercase();
            is_signed(&lower).then_some((lower, v.as_str()))
        })
        .collect();
    let host = chosen
        .iter()
        .find(|(k, _)| k == "host")
        .map(|(_, v)| *v)
        .filter(|h| h.parse::<http::uri::Authority>().is_ok())
        .unwrap_or("localhost");
    let query = match signed.location {
        Location::Header { .. } => request.query.clone(),
        // `aws-sigv4` adds the X-Amz-* parameters back itself from the
        // signing parameters (and leaves out X-Amz-Signature).
        Location::Query { .. } => request.query.as_deref().map(|q| {
            q.split('&')
                .filter(|p| !QUERY_AUTH.iter().any(|n| is_param(p, n)))
                .collect::<Vec<_>>()
                .join("&")
        }),
    };
    let uri = match query.filter(|q| !q.is_empty()) {
        Some(q) => format!("http://{host}{}?{q}", request.path),
        None => format!("http://{host}{}", request.path),
    };
    let credentials = aws_credential_types::Credentials::new(
        &signed.access_key,
        secret,
        signed.token.clone(),
        None,
        "phalanx",
    );
    let identity = credentials.into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Double;
    // Every signed header counts, whatever the SDK would leave out.
    let mut excluded = Vec::new();
    // Headers the SDK adds itself: given only through the signing
    // parameters, never as headers too.
    let own: &[&str] = match signed.location {
        Location::Header { by_date } => {
            settings.session_token_mode = if is_signed("x-amz-security-token") {
                SessionTokenMode::Include
            } else {
                SessionTokenMode::Exclude
            };
            // Signed with `Date`: the SDK still adds an `x-amz-date`
            // header (the same instant), which must not count. With
            // X-Amz-Date, it counts even if the client did not sign it,
            // as before: API Gateway's "Signing Requests" says the
            // canonical request must include it.
            if by_date {
                excluded.push("x-amz-date".into());
            }
            &["x-amz-date", "x-amz-security-token"]
        }
        Location::Query { expires } => {
            settings.signature_location = SignatureLocation::QueryParams;
            settings.expires_in = Some(expires);
            // As the SDK presigns: the token is in the canonical query.
            settings.session_token_mode = SessionTokenMode::Include;
            &[]
        }
    };
    settings.excluded_headers = Some(excluded);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&signed.region)
        .name(SERVICE)
        .time(signed.signed_at)
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let signable = SignableRequest::new(
        &request.method,
        uri,
        chosen
            .iter()
            .filter(|(k, _)| !own.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), *v)),
        SignableBody::Bytes(&request.body),
    )
    .map_err(|e| e.to_string())?;
    let output = sign(signable, &params).map_err(|e| e.to_string())?;
    Ok(output.signature().to_owned())
}

/// Compares without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
