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

/// One statement: its effect, actions and resources (as written).
#[derive(Debug, Clone, PartialEq)]
struct Statement {
    allow: bool,
    actions: Vec<String>,
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
                // Actions are case-insensitive in IAM; lowered once here,
                // not per evaluation (a cached policy is evaluated often).
                actions: strings(statement.get("Action"), "Action")?
                    .into_iter()
                    .map(|a| a.to_ascii_lowercase())
                    .collect(),
                resources: strings(statement.get("Resource"), "Resource")?,
            });
        }
        Ok(Policy { statements: out })
    }

    /// The decision for `method_arn`.
    pub(crate) fn evaluate(&self, method_arn: &str) -> Decision {
        let mut allowed = false;
        for s in &self.statements {
            let applies = s
                .actions
                .iter()
                .any(|a| wildcard_match(a, "execute-api:invoke"))
                && s.resources.iter().any(|r| wildcard_match(r, method_arn));
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
/// exactly one; everything else literally. Iterative, with one
/// backtracking point, so no pattern can make it slow. ASCII (every
/// method ARN of an ASCII path) is matched byte by byte without
/// allocating; anything else character by character.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        matches(pattern.as_bytes(), text.as_bytes(), b'*', b'?')
    } else {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        matches(&p, &t, '*', '?')
    }
}

fn matches<T: PartialEq + Copy>(p: &[T], t: &[T], star_sym: T, one: T) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == one || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == star_sym {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == star_sym)
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
