//! Lambda's refusal of an event that is not JSON, worded as Lambda words
//! it: the Invoke API answers `InvalidRequestContentException` with
//! `Could not parse request body into json: Could not parse payload into
//! json: ` and the message of the Java JSON parser it runs (Jackson 2.9+),
//! for example (an API Gateway answer recorded in August 2024, quoted in a
//! public React client's source)
//!
//! ```text
//! Could not parse request body into json: Could not parse payload into json: Unexpected character ('-' (code 45)) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value
//!  at [Source: (byte[])"------WebKitFormBoundary…"; line: 1, column: 3]
//! ```
//!
//! The Lambda developer guide's "Invoke a Lambda function synchronously"
//! shows the older wording, without the second clause. API Gateway passes
//! the message on to the client of a Lambda (non-proxy) integration whose
//! request template rendered something that is not JSON.
//!
//! serde_json finds the error; its kind is translated into Jackson's words
//! for the cases recordings show (an invalid escape, a raw control
//! character in a string, a field name without quotes, a bare word),
//! with serde_json's own words for the rest. Jackson's column may differ
//! from this one by one: it counts from where its reader stopped.

/// What Lambda prefixes to the parser's message.
const PREFIX: &str = "Could not parse request body into json: Could not parse payload into json: ";

/// How much of the event Jackson quotes in `[Source: …]` before it
/// truncates (its `ErrorReportConfiguration` default, 500).
const MAX_QUOTED: usize = 500;

/// Lambda's message for an event that is not JSON; `None` when the event
/// is JSON (or empty, which Lambda takes as `{}`).
pub(crate) fn not_json_message(event: &[u8]) -> Option<String> {
    if event.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let error = match serde_json::from_slice::<serde::de::IgnoredAny>(event) {
        // serde_json does not check the UTF-8 of what it skips; Jackson
        // decodes every byte.
        Ok(_) => {
            return std::str::from_utf8(event)
                .err()
                .map(|e| invalid_utf8(event, &e));
        }
        Err(error) => error,
    };
    let (line, column) = (error.line(), error.column());
    let at = byte_index(event, line, column);
    let found = at.and_then(|i| event.get(i).copied());
    let serde_message = error.to_string();
    let what = serde_message
        .rsplit_once(" at line ")
        .map_or(serde_message.as_str(), |(what, _)| what);
    let description = match (what, found) {
        ("invalid escape", Some(c)) => format!("Unrecognized character escape {}", char_desc(c)),
        // (serde_json points just before the control character.)
        (w, Some(_)) if w.starts_with("control character") => format!(
            "Illegal unquoted character ({}): has to be escaped using backslash to be included in string value",
            char_desc(
                event
                    .get(at.unwrap_or(0)..)
                    .and_then(|rest| rest.iter().copied().find(|b| *b < 0x20))
                    .unwrap_or(0)
            )
        ),
        ("key must be a string", Some(c)) => format!(
            "Unexpected character ({}): was expecting double-quote to start field name",
            char_desc(c)
        ),
        ("expected value" | "expected ident", Some(c)) if c.is_ascii_alphanumeric() => {
            // The whole word (serde_json stops inside `name` at `a`,
            // having expected `null`), as Jackson quotes it.
            let is_word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
            let stop = at.unwrap_or(0);
            let start = event
                .get(..stop)
                .unwrap_or_default()
                .iter()
                .rposition(|b| !is_word(b))
                .map_or(0, |i| i + 1);
            let token: String = event
                .get(start..)
                .unwrap_or_default()
                .iter()
                .take_while(|b| is_word(b))
                .map(|&b| char::from(b))
                .collect();
            format!("Unrecognized token '{token}': was expecting ('true', 'false' or 'null')")
        }
        ("invalid number", Some(c))
            if at.is_some_and(|i| i > 0 && event.get(i - 1) == Some(&b'-')) =>
        {
            format!(
                "Unexpected character ({}) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value",
                char_desc(c)
            )
        }
        ("expected value", Some(c)) => format!(
            "Unexpected character ({}): expected a valid value (number, String, array, object, 'true', 'false' or 'null')",
            char_desc(c)
        ),
        (w, _) if w.starts_with("EOF while parsing") => {
            "Unexpected end-of-input: expected close marker".to_string()
        }
        (w, Some(c)) => format!("Unexpected character ({}): {w}", char_desc(c)),
        (w, None) => w.to_string(),
    };
    Some(format!(
        "{PREFIX}{description}\n at [Source: {}; line: {line}, column: {}]",
        quoted_source(event),
        column + 1
    ))
}

/// Jackson's words for bytes that are not UTF-8 (as recorded: `Invalid
/// UTF-8 start byte 0xa7`), where they are.
fn invalid_utf8(event: &[u8], error: &std::str::Utf8Error) -> String {
    let at = error.valid_up_to();
    let byte = event.get(at).copied().unwrap_or(0);
    // A lead byte whose continuation is wrong is a middle-byte error.
    let (kind, byte) = match (byte, event.get(at + 1)) {
        (0xc2..=0xf4, Some(&next)) => ("middle", next),
        _ => ("start", byte),
    };
    let line = 1 + event
        .get(..at)
        .unwrap_or_default()
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    let line_start = event
        .get(..at)
        .unwrap_or_default()
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    format!(
        "{PREFIX}Invalid UTF-8 {kind} byte 0x{byte:x}\n at [Source: {}; line: {line}, column: {}]",
        quoted_source(event),
        at - line_start + 2
    )
}

/// The byte serde_json's (1-based) line and column point at.
fn byte_index(event: &[u8], line: usize, column: usize) -> Option<usize> {
    let line_start = if line <= 1 {
        0
    } else {
        event
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map(|(i, _)| i + 1)?
    };
    (line_start + column).checked_sub(1)
}

/// Jackson's description of a character: `'x' (code 120)`, or
/// `(CTRL-CHAR, code 13)` for a control character.
fn char_desc(byte: u8) -> String {
    if byte < 0x20 {
        format!("(CTRL-CHAR, code {byte})")
    } else if byte.is_ascii() {
        format!("'{}' (code {byte})", char::from(byte))
    } else {
        // Part of a multi-byte character: Jackson names the byte it read.
        format!("(code {byte} / 0x{byte:x})")
    }
}

/// `(byte[])"…"`, as Jackson quotes its input, truncated past
/// [`MAX_QUOTED`] bytes.
fn quoted_source(event: &[u8]) -> String {
    let shown = event.get(..MAX_QUOTED).unwrap_or(event);
    let mut quoted = format!("(byte[])\"{}\"", String::from_utf8_lossy(shown));
    if event.len() > MAX_QUOTED {
        quoted.push_str(&format!("[truncated {} bytes]", event.len() - MAX_QUOTED));
    }
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_empty_events_are_not_refused() {
        assert_eq!(not_json_message(b"{\"a\":1}"), None);
        assert_eq!(not_json_message(b""), None);
        assert_eq!(not_json_message(b" \n"), None);
        assert_eq!(not_json_message(b"\"text\""), None);
    }

    #[test]
    fn the_errors_recordings_show_read_as_jacksons() {
        // The August 2024 recording.
        let message = not_json_message(b"--x").unwrap_or_default();
        assert!(
            message.starts_with("Could not parse request body into json: Could not parse payload into json: Unexpected character ('-' (code 45)) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value\n at [Source: (byte[])\"--x\"; line: 1, column: "),
            "{message}"
        );
        let message = not_json_message(b"{\"a\":\"\xa7\"}").unwrap_or_default();
        assert!(
            message.contains("json: Invalid UTF-8 start byte 0xa7\n at"),
            "{message}"
        );
        // serverless/serverless#2807: `$util.escapeJavaScript` of a single
        // quote gives `\'`, which JSON does not have.
        let message = not_json_message(br#"{"name": "O\'Brien"}"#).unwrap_or_default();
        assert_eq!(
            message,
            "Could not parse request body into json: Could not parse payload into json: Unrecognized character escape ''' (code 39)\n at [Source: (byte[])\"{\"name\": \"O\\'Brien\"}\"; line: 1, column: 14]"
        );
        // serverless/serverless#2270: a raw carriage return in a string.
        let message = not_json_message(b"{\"a\": \"x\ry\"}").unwrap_or_default();
        assert!(
            message.starts_with("Could not parse request body into json: Could not parse payload into json: Illegal unquoted character ((CTRL-CHAR, code 13)): has to be escaped using backslash to be included in string value\n at [Source: (byte[])"),
            "{message}"
        );
        // serverless/serverless#3187: a doubled comma.
        let message = not_json_message(b"{\"a\": 1,,\"b\": 2}").unwrap_or_default();
        assert!(
            message.contains(
                "Unexpected character (',' (code 44)): was expecting double-quote to start field name"
            ),
            "{message}"
        );
        // The Lambda developer guide's bare word.
        let message = not_json_message(b"value").unwrap_or_default();
        assert!(
            message.starts_with("Could not parse request body into json: Could not parse payload into json: Unrecognized token 'value': was expecting ('true', 'false' or 'null')\n at [Source: (byte[])\"value\"; line: 1,"),
            "{message}"
        );
    }

    #[test]
    fn long_events_are_quoted_truncated_and_any_bytes_are_described() {
        let mut event = vec![b'x'; 600];
        event[0] = b'{';
        let message = not_json_message(&event).unwrap_or_default();
        assert!(
            message.contains("[truncated 100 bytes]; line: 1"),
            "{message}"
        );
        for event in [
            &b"\xff"[..],
            b"{\"a\":\"\xff\"}",
            b"[1,",
            b"\n\n}",
            b"{\"a\"}",
        ] {
            assert!(not_json_message(event).is_some());
        }
    }
}
