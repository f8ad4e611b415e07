//! The IAM policy a Lambda authorizer returns, evaluated against the
//! method ARN (`arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/VERB/PATH`).
//!
//! Developer guide, "Output from an API Gateway Lambda authorizer" and
//! "Statement reference of IAM policies for executing API in API
//! Gateway": statements `Allow` or `Deny` the action `execute-api:Invoke`
//! on resources written with the wildcards `*` (any run of characters,
//! `/` included) and `?` (one character); an explicit `Deny` beats any
//! `Allow`, and a request no statement allows is denied (implicitly).

use serde_json::Value;

/// What a policy says about one method ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// A statement allows it and none denies it.
    Allow,
    /// A statement denies it.
    ExplicitDeny,
    /// No statement allows it.
    ImplicitDeny,
}

/// One statement: its effect, whether its actions include invoking an
/// API (`execute-api:Invoke`, the one action API Gateway asks about), and
/// its resources (as written).
#[derive(Debug, Clone, PartialEq)]
struct Statement {
    allow: bool,
    invokes: bool,
    resources: Vec<String>,
}

/// A parsed `policyDocument`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Policy {
    statements: Vec<Statement>,
}

/// A string or a list of strings (IAM accepts both for `Action` and
/// `Resource`).
fn strings(value: Option<&Value>, what: &str) -> Result<Vec<String>, String> {
    match value {
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("a {what} entry is not a string"))
            })
            .collect(),
        Some(_) => Err(format!("{what} is neither a string nor a list of strings")),
        None => Err(format!("a statement has no {what}")),
    }
}

impl Policy {
    /// Reads a `policyDocument`; an error says what is malformed (the
    /// request then fails with AUTHORIZER_CONFIGURATION_ERROR, as AWS
    /// answers invalid authorizer output).
    pub(crate) fn parse(document: &Value) -> Result<Policy, String> {
        let document = document
            .as_object()
            .ok_or("policyDocument is not an object")?;
        let statements = match document.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
            Some(one @ Value::Object(_)) => vec![one],
            Some(_) => return Err("Statement is neither an object nor a list".into()),
            None => return Err("policyDocument has no Statement".into()),
        };
        let mut out = Vec::with_capacity(statements.len());
        for statement in statements {
            let statement = statement
                .as_object()
                .ok_or("a statement is not an object")?;
            // IAM spells the effects `Allow` and `Deny`; no recorded AWS
            // answer shows another case, so other spellings are refused.
            let allow = match statement.get("Effect").and_then(Value::as_str) {
                Some("Allow") => true,
                Some("Deny") => false,
                other => {
                    return Err(format!(
                        "a statement's Effect is {other:?}, not Allow or Deny"
                    ));
                }
            };
            out.push(Statement {
                allow,
                // Actions are case-insensitive in IAM. The only action
                // asked about is `execute-api:Invoke`, so whether they
                // name it is decided once here, not per evaluation (a
                // cached policy is evaluated on every request).
                invokes: strings(statement.get("Action"), "Action")?
                    .iter()
                    .any(|a| wildcard_match(&a.to_ascii_lowercase(), "execute-api:invoke")),
                resources: strings(statement.get("Resource"), "Resource")?,
            });
        }
        Ok(Policy { statements: out })
    }

    /// The decision for `method_arn`.
    pub(crate) fn evaluate(&self, method_arn: &str) -> Decision {
        let mut allowed = false;
        for s in &self.statements {
            let applies = s.invokes && s.resources.iter().any(|r| wildcard_match(r, method_arn));
            if !applies {
                continue;
            }
            if !s.allow {
                return Decision::ExplicitDeny;
            }
            allowed = true;
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }
}

/// IAM's wildcard match: `*` any run of characters (none included), `?`
/// exactly one; everything else literally. ASCII (every method ARN of an
/// ASCII path) is matched byte by byte without allocating; anything else
/// character by character.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        matches(pattern.as_bytes(), text.as_bytes(), b'*', b'?')
    } else {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        matches(&p, &t, '*', '?')
    }
}

/// Whether `t` matches `p`, whose `star`s split it into pieces: the first
/// piece must start `t`, the last end it, and the ones between appear in
/// order between them. Taking the leftmost place for each piece between
/// is never wrong (a later place leaves less room for the rest), so there
/// is no backtracking: linear in the pieces' places, whatever the pattern.
fn matches<T: PartialEq + Copy>(p: &[T], t: &[T], star: T, one: T) -> bool {
    // A piece (`one` matching anything) against text of its length.
    let same = |piece: &[T], text: &[T]| {
        piece.len() == text.len() && piece.iter().zip(text).all(|(a, b)| *a == one || a == b)
    };
    let Some(first) = p.iter().position(|&c| c == star) else {
        return same(p, t);
    };
    let last = p.iter().rposition(|&c| c == star).unwrap_or(first);
    let (head, tail) = (&p[..first], &p[last + 1..]);
    let Some(middle_end) = t.len().checked_sub(tail.len()) else {
        return false;
    };
    if middle_end < head.len() || !same(head, &t[..head.len()]) || !same(tail, &t[middle_end..]) {
        return false;
    }
    let mut rest = &t[head.len()..middle_end];
    if first == last {
        return true;
    }
    for piece in p[first + 1..last].split(|&c| c == star) {
        let Some((&lead, more)) = piece.split_first() else {
            continue;
        };
        // The leftmost place: candidates found by the piece's first symbol
        // (a plain scan, which the compiler vectorises), then the rest
        // compared.
        let mut from = 0;
        loop {
            let Some(last_start) = rest.len().checked_sub(piece.len()) else {
                return false;
            };
            if from > last_start {
                return false;
            }
            let window = &rest[from..=last_start];
            let at = if lead == one {
                from
            } else {
                match window.iter().position(|&c| c == lead) {
                    Some(k) => from + k,
                    None => return false,
                }
            };
            if same(more, &rest[at + 1..at + piece.len()]) {
                rest = &rest[at + piece.len()..];
                break;
            }
            from = at + 1;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/pets/1";

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*", ARN));
        assert!(wildcard_match(
            "arn:aws:execute-api:*:*:abc123/*/GET/*",
            ARN
        ));
        assert!(wildcard_match(
            "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/pets/?",
            ARN
        ));
        assert!(!wildcard_match(
            "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/pets/??",
            ARN
        ));
        assert!(!wildcard_match(
            "arn:aws:execute-api:*:*:abc123/*/POST/*",
            ARN
        ));
        assert!(wildcard_match("a**b", "ab"));
        assert!(wildcard_match("/pets/?", "/pets/é"));
        assert!(!wildcard_match("/pets/??", "/pets/é"));
        assert!(wildcard_match("", ""));
        assert!(!wildcard_match("", "a"));
        assert!(
            !wildcard_match("ab*ba", "aba"),
            "head and tail may not overlap"
        );
        assert!(wildcard_match("*a*b*", "xxaxxbxx"));
        assert!(!wildcard_match("*b*a", "ab"));
    }

    /// The matcher against the definition (every way of letting each `*`
    /// take a run), over every pattern and text of up to five symbols
    /// from `ab*?` and `ab`.
    #[test]
    fn matching_agrees_with_the_definition() {
        fn by_definition(p: &[u8], t: &[u8]) -> bool {
            match (p.first(), t.first()) {
                (None, _) => t.is_empty(),
                (Some(b'*'), _) => {
                    by_definition(&p[1..], t) || (!t.is_empty() && by_definition(p, &t[1..]))
                }
                (Some(_), None) => false,
                (Some(&c), Some(&d)) => (c == b'?' || c == d) && by_definition(&p[1..], &t[1..]),
            }
        }
        fn all(alphabet: &[u8], max: usize) -> Vec<Vec<u8>> {
            let mut out = vec![Vec::new()];
            let mut last = vec![Vec::new()];
            for _ in 0..max {
                last = last
                    .iter()
                    .flat_map(|w| {
                        alphabet.iter().map(move |&c| {
                            let mut w = w.clone();
                            w.push(c);
                            w
                        })
                    })
                    .collect();
                out.extend(last.iter().cloned());
            }
            out
        }
        for p in all(b"ab*?", 5) {
            for t in all(b"ab", 5) {
                assert_eq!(
                    matches(&p, &t, b'*', b'?'),
                    by_definition(&p, &t),
                    "{} against {}",
                    String::from_utf8_lossy(&p),
                    String::from_utf8_lossy(&t)
                );
            }
        }
    }

    #[test]
    fn deny_beats_allow_and_no_match_denies() {
        let policy = Policy::parse(&json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"},
                {"Effect": "Deny", "Action": ["execute-api:*"], "Resource": ["*/dev/GET/pets/*"]},
            ]
        }))
        .unwrap();
        assert_eq!(policy.evaluate(ARN), Decision::ExplicitDeny);
        assert_eq!(policy.evaluate("x/dev/GET/owners"), Decision::Allow);
        let policy = Policy::parse(&json!({"Statement": {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "x"}})).unwrap();
        assert_eq!(policy.evaluate(ARN), Decision::ImplicitDeny);
        assert!(Policy::parse(&json!({"Statement": 3})).is_err());
        assert!(
            Policy::parse(
                &json!({"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]})
            )
            .is_err()
        );
    }
}
