//! IAM authorization (`AWS_IAM`): the request must be signed with
//! Signature Version 4 (`Authorization: AWS4-HMAC-SHA256 Credential=…,
//! SignedHeaders=…, Signature=…`) for service `execute-api` and the
//! gateway's region, by an access key of [`super::LocalAuth`]. The
//! signature is recomputed by the AWS SDK's own signer (`aws-sigv4`) from
//! the request as received — method, path as the client encoded it, query
//! string, the headers named in `SignedHeaders`, the body — and compared.
//!
//! AWS's answers (all 403), from the knowledge-center articles "How do I
//! troubleshoot HTTP 403 errors from API Gateway?" and "…signature
//! mismatch errors when making SigV4 signed requests with IAM
//! authentication to API Gateway?" (re:Post), and recorded responses:
//!
//! - no `Authorization` header: `MISSING_AUTHENTICATION_TOKEN`,
//!   `Missing Authentication Token`;
//! - an unknown access key (or a wrong session token):
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
//!   not yet current: … is still later than … (… + 5 min.)`;
//! - a malformed `Authorization` header: AWS answers
//!   `IncompleteSignatureException` with messages such as `Authorization
//!   header requires 'Credential' parameter.`; no response type has that
//!   name, so `MISSING_AUTHENTICATION_TOKEN` (403) carries AWS's message
//!   here (its `x-amzn-ErrorType` differs from AWS's).
//!
//! Presigned URLs (the signature in `X-Amz-Signature` query parameters)
//! are not accepted: such a request answers `Missing Authentication Token`.

use super::LocalAuth;
use crate::pipeline::{GatewayError, GatewayRequest, ResponseType};
use crate::vtl::Identity;
use aws_sigv4::http_request::{
    PercentEncodingMode, SessionTokenMode, SignableBody, SignableRequest, SigningSettings, sign,
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
        .with_detail("malformed SigV4 Authorization header")
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

/// Checks the request's SigV4 signature; on success fills
/// `$context.identity` with the signer (access key, account, user).
pub(crate) fn authorize(
    auth: &LocalAuth,
    request: &GatewayRequest,
    headers: &[(String, String)],
    account_id: &str,
    now: SystemTime,
    identity: &mut Identity,
) -> Result<(), GatewayError> {
    let header = |name: &str| {
        headers
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let Some(authorization) = header("authorization") else {
        return Err(GatewayError::missing_authentication_token()
            .with_detail("the method is AWS_IAM and the request has no Authorization header"));
    };
    let parsed = parse(authorization.trim())?;

    let Some(date) = header("x-amz-date") else {
        return Err(incomplete(format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={authorization}"
        )));
    };
    let Some(signed_at) = crate::clock::parse_amz_date(date.trim()) else {
        return Err(incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )));
    };
    let stamp = crate::clock::amz_date;
    if signed_at + SKEW < now {
        return Err(invalid_signature(
            &format!(
                "Signature expired: {} is now earlier than {} ({} - 5 min.)",
                stamp(signed_at),
                stamp(now - SKEW),
                stamp(now)
            ),
            "X-Amz-Date is more than 5 minutes before now",
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
            "X-Amz-Date is more than 5 minutes after now",
        ));
    }

    let Some(key) = auth.access_key(parsed.access_key) else {
        return Err(GatewayError::new(ResponseType::AccessDenied, INVALID_TOKEN)
            .with_detail(format!("unknown access key {:?}", parsed.access_key)));
    };
    let token = header("x-amz-security-token");
    if key.session_token.as_deref() != token {
        return Err(GatewayError::new(ResponseType::AccessDenied, INVALID_TOKEN)
            .with_detail("X-Amz-Security-Token does not match the key's session token"));
    }
    if parsed.service != SERVICE {
        return Err(invalid_signature(
            &format!("Credential should be scoped to correct service: '{SERVICE}'. "),
            format!("signed for service {:?}", parsed.service),
        ));
    }
    if parsed.region != auth.region() {
        return Err(invalid_signature(
            &format!(
                "Credential should be scoped to a valid region, not '{}'. ",
                parsed.region
            ),
            format!("the gateway's region is {:?}", auth.region()),
        ));
    }
    if !date.trim().starts_with(parsed.scope_date) || parsed.scope_date.len() != 8 {
        return Err(invalid_signature(
            &format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
                parsed.scope_date,
                date.trim().get(..8).unwrap_or(""),
                date.trim()
            ),
            "the credential scope's date is not X-Amz-Date's",
        ));
    }

    let expected = expected_signature(request, headers, &parsed, &key.secret, token, signed_at)
        .map_err(|e| invalid_signature(MISMATCH, format!("the request cannot be signed: {e}")))?;
    if !constant_time_eq(expected.as_bytes(), parsed.signature.as_bytes()) {
        return Err(invalid_signature(
            MISMATCH,
            "the signature differs from the one computed with the key's secret",
        ));
    }

    // An IAM user's identity as AWS shows it: caller and user are the
    // user's unique id (`AIDA…`), userArn its ARN.
    let user_id = format!(
        "AIDA{}",
        crate::ids::characters(parsed.access_key, 17, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    );
    identity.access_key = parsed.access_key.to_owned();
    identity.account_id = account_id.to_owned();
    identity.caller = user_id.clone();
    identity.user = user_id;
    identity.user_arn = format!("arn:aws:iam::{account_id}:user/{}", key.user_name);
    Ok(())
}

/// The signature `aws-sigv4` computes for the request with `secret`.
fn expected_signature(
    request: &GatewayRequest,
    headers: &[(String, String)],
    parsed: &Parsed<'_>,
    secret: &str,
    token: Option<&str>,
    signed_at: SystemTime,
) -> Result<String, String> {
    // Only the headers the client signed, names as SigV4 writes them.
    let signed: Vec<(String, &str)> = headers
        .iter()
        .filter_map(|(k, v)| {
            let lower = k.to_ascii_lowercase();
            parsed
                .signed_headers
                .contains(&lower.as_str())
                .then_some((lower, v.as_str()))
        })
        .collect();
    let host = signed
        .iter()
        .find(|(k, _)| k == "host")
        .map(|(_, v)| *v)
        .filter(|h| h.parse::<http::uri::Authority>().is_ok())
        .unwrap_or("localhost");
    let uri = match &request.query {
        Some(q) => format!("http://{host}{}?{q}", request.path),
        None => format!("http://{host}{}", request.path),
    };
    let credentials = aws_credential_types::Credentials::new(
        parsed.access_key,
        secret,
        token.map(str::to_owned),
        None,
        "phalanx",
    );
    let identity = credentials.into();
    let mut settings = SigningSettings::default();
    // Every signed header counts, whatever the SDK would leave out.
    settings.excluded_headers = Some(Vec::new());
    settings.percent_encoding_mode = PercentEncodingMode::Double;
    settings.session_token_mode = if parsed.signed_headers.contains(&"x-amz-security-token") {
        SessionTokenMode::Include
    } else {
        SessionTokenMode::Exclude
    };
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(parsed.region)
        .name(SERVICE)
        .time(signed_at)
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let signable = SignableRequest::new(
        &request.method,
        uri,
        signed
            .iter()
            .filter(|(k, _)| k != "x-amz-date" && k != "x-amz-security-token")
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
