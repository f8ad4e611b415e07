//! `$util`: API Gateway's helper functions for mapping templates
//! (AWS API Gateway developer guide, "`$util` variables").
//!
//! - `escapeJavaScript` is Apache commons-lang 2.6's
//!   `StringEscapeUtils.escapeJavaScript`. AWS documents that it turns `'`
//!   into `\'` (and LocalStack's AWS-validated EventBridge test undoes that
//!   with `.replaceAll("\\'","'")`); the other characters follow
//!   commons-lang and have not been checked against AWS itself.
//! - `urlEncode`/`urlDecode` are `java.net.URLEncoder`/`URLDecoder` with
//!   UTF-8 (pinned to LocalStack's AWS-validated `test_input_body_formatting`).
//! - `base64Encode`/`base64Decode` use the standard alphabet with padding
//!   over the string's UTF-8 bytes.
//! - `parseJson` gives maps (insertion-ordered, printed `{a=1}`) and lists.

use base64::Engine as _;
use phalanx_vtl::{MethodError, Object, Value};
use std::fmt::Write;

/// `$util`.
///
/// ```
/// use phalanx_gateway::vtl::Util;
/// use phalanx_gateway::template::{Context, Engine, Value};
///
/// let t = Engine::api_gateway()
///     .compile("t", "$util.urlEncode('a b/c') $util.escapeJavaScript(\"O'Brien\")")
///     .unwrap();
/// let mut ctx = Context::new();
/// ctx.insert("util", Value::object(Util));
/// assert_eq!(t.render(&mut ctx).unwrap(), r"a+b%2Fc O\'Brien");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Util;

impl Object for Util {
    fn type_name(&self) -> &str {
        "Util"
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, MethodError> {
        let [arg] = args else {
            return Err(MethodError::NotFound);
        };
        // Velocity passes null for a null argument; API Gateway's dialect
        // reads a null reference as "" before it gets here.
        let Value::String(s) = arg else {
            return Err(MethodError::NotFound);
        };
        match method {
            "escapeJavaScript" => Ok(match s.bytes().position(needs_js_escape) {
                // Most values need no escaping: the same string, no copy.
                None => arg.clone(),
                // Escaped into a reused buffer: one allocation (the value).
                Some(first) => ESCAPED.with_borrow_mut(|buf| {
                    buf.clear();
                    buf.push_str(&s[..first]);
                    escape_javascript_into(&s[first..], buf);
                    Value::from(buf.as_str())
                }),
            }),
            "urlEncode" => Ok(Value::from(url_encode(s))),
            "urlDecode" => url_decode(s)
                .map(Value::from)
                .map_err(|e| MethodError::Failed(format!("IllegalArgumentException: {e}"))),
            "base64Encode" => Ok(Value::from(
                base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
            )),
            "base64Decode" => base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map(|bytes| Value::from(String::from_utf8_lossy(&bytes).into_owned()))
                .map_err(|e| MethodError::Failed(format!("IllegalArgumentException: {e}"))),
            "parseJson" => serde_json::from_str::<serde_json::Value>(s)
                .map(|json| Value::from_json(&json))
                .map_err(|e| MethodError::Failed(format!("invalid JSON: {e}"))),
            _ => Err(MethodError::NotFound),
        }
    }

    fn render(&self) -> String {
        "$util".into()
    }
}

/// commons-lang 2.6 `StringEscapeUtils.escapeJavaScript`: per UTF-16 unit,
/// `\b \t \n \f \r` as short escapes, other controls and everything above
/// U+007F as `\uXXXX` (upper-case hex), and `'` `"` `\` `/` backslashed.
///
/// ```
/// assert_eq!(phalanx_gateway::vtl::escape_javascript("Zoë/'"), r"Zo\u00EB\/\'");
/// ```
pub fn escape_javascript(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_javascript_into(s, &mut out);
    out
}

thread_local! {
    static ESCAPED: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// [`escape_javascript`] appending to `out`.
pub fn escape_javascript_into(s: &str, out: &mut String) {
    let mut rest = s;
    // Runs of characters that need nothing are copied at once.
    while let Some(i) = rest.bytes().position(needs_js_escape) {
        out.push_str(&rest[..i]);
        let c = rest[i..].chars().next().unwrap_or('\u{FFFD}');
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            match *unit {
                0x08 => out.push_str("\\b"),
                0x09 => out.push_str("\\t"),
                0x0A => out.push_str("\\n"),
                0x0C => out.push_str("\\f"),
                0x0D => out.push_str("\\r"),
                0x27 => out.push_str("\\'"),
                0x22 => out.push_str("\\\""),
                0x5C => out.push_str("\\\\"),
                0x2F => out.push_str("\\/"),
                u => {
                    let _ = write!(out, "\\u{u:04X}");
                }
            }
        }
        rest = &rest[i + c.len_utf8()..];
    }
    out.push_str(rest);
}

/// Whether a byte starts something `escapeJavaScript` rewrites: a control
/// character, a quote, a backslash, `/`, or any non-ASCII character. A
/// table, because every byte of every escaped value is looked up.
fn needs_js_escape(b: u8) -> bool {
    const TABLE: [bool; 256] = {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 256 {
            table[b] = b < 0x20 || b >= 0x80 || matches!(b as u8, b'\'' | b'"' | b'\\' | b'/');
            b += 1;
        }
        table
    };
    TABLE[b as usize]
}

/// `java.net.URLEncoder.encode(s, "UTF-8")`: letters, digits and `.-*_`
/// stay, a space becomes `+`, every other byte of the UTF-8 form `%XX`.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// `java.net.URLDecoder.decode(s, "UTF-8")`: `+` is a space, `%XX` a byte;
/// a malformed escape is an error with Java's message.
pub fn url_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let Some(hex) = bytes.get(i + 1..i + 3) else {
                    return Err("URLDecoder: Incomplete trailing escape (%) pattern".into());
                };
                let decoded = std::str::from_utf8(hex)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                let Some(byte) = decoded else {
                    return Err(format!(
                        "URLDecoder: Illegal hex characters in escape (%) pattern - Error at index 0 in: \"{}\"",
                        String::from_utf8_lossy(hex)
                    ));
                };
                out.push(byte);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use phalanx_vtl::{Context, Engine};

    fn render(template: &str, body: &str) -> String {
        let mut ctx = Context::new();
        ctx.insert("util", Value::object(Util));
        ctx.insert("body", Value::from(body));
        Engine::api_gateway()
            .compile("t", template)
            .and_then(|t| t.render(&mut ctx))
            .unwrap()
    }

    #[test]
    fn escape_javascript_is_commons_lang_2_6() {
        // Expected values printed by commons-lang 2.6 (Debian's
        // commons-lang.jar) StringEscapeUtils.escapeJavaScript.
        for (input, java) in [
            ("O'Brien", r"O\'Brien"),
            ("say \"hi\"", r#"say \"hi\""#),
            ("a/b\\c", r"a\/b\\c"),
            ("tab\there\nnew", r"tab\there\nnew"),
            ("\u{1}\u{1f}\u{7f}", "\\u0001\\u001F\u{7f}"),
            ("Zoë Ångström", r"Zo\u00EB \u00C5ngstr\u00F6m"),
            ("😀", r"\uD83D\uDE00"),
            ("<script>", "<script>"),
        ] {
            assert_eq!(escape_javascript(input), java, "{input:?}");
        }
    }

    #[test]
    fn url_encode_matches_aws() {
        // LocalStack's AWS-validated test_apigateway_common.py::
        // TestApiGatewayCommon::test_input_body_formatting ("url-encode").
        let t = "EncodedBody=$util.urlEncode($body)&EncodedBodyAccess=$util.urlEncode($body.testAccess)";
        assert_eq!(
            render(t, r#"{"some": "value"}"#),
            "EncodedBody=%7B%22some%22%3A+%22value%22%7D&EncodedBodyAccess="
        );
        assert_eq!(
            render(t, "some raw data"),
            "EncodedBody=some+raw+data&EncodedBodyAccess="
        );
        assert_eq!(render(t, "{}"), "EncodedBody=%7B%7D&EncodedBodyAccess=");
        // java.net.URLEncoder.encode(…, "UTF-8") on Java 17.
        assert_eq!(
            url_encode("a b*-._~!'()é/?=&+😀"),
            "a+b*-._%7E%21%27%28%29%C3%A9%2F%3F%3D%26%2B%F0%9F%98%80"
        );
    }

    #[test]
    fn url_decode_matches_java() {
        assert_eq!(url_decode("a+b%2Bc%C3%A9%F0%9F%98%80").unwrap(), "a b+cé😀");
        assert_eq!(
            url_decode("a%2").unwrap_err(),
            "URLDecoder: Incomplete trailing escape (%) pattern"
        );
        assert_eq!(
            url_decode("a%zz").unwrap_err(),
            "URLDecoder: Illegal hex characters in escape (%) pattern - Error at index 0 in: \"zz\""
        );
    }

    #[test]
    fn base64_round_trips_utf8() {
        assert_eq!(render("$util.base64Encode($body)", "Zoë"), "Wm/Dqw==");
        assert_eq!(render("$util.base64Decode($body)", "Wm/Dqw=="), "Zoë");
    }

    #[test]
    fn parse_json_gives_java_maps_and_lists() {
        // $util.parseJson returns an object: map keys keep their order and
        // print as Java's toString (airspeed:test_use_defined_func_create_json_loop
        // reads .keySet()/.get() on the result).
        let t = "#set($o = $util.parseJson($body))$o.a $o.keySet() $o.b.get(1) $o";
        assert_eq!(
            render(t, r#"{"a": 123, "b": [1, "x"]}"#),
            "123 [a, b] x {a=123, b=[1, x]}"
        );
    }

    #[test]
    fn bad_input_is_a_render_error() {
        let mut ctx = Context::new();
        ctx.insert("util", Value::object(Util));
        for t in [
            "$util.parseJson('{')",
            "$util.urlDecode('%')",
            "$util.base64Decode('!!')",
        ] {
            let err = Engine::api_gateway()
                .compile("t", t)
                .and_then(|t| t.render(&mut ctx))
                .unwrap_err();
            assert!(
                err.to_string().starts_with("t:1:7: invocation of method"),
                "{err}"
            );
        }
    }
}
