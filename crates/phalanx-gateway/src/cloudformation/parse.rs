//! Template text → one JSON value, whichever syntax it was written in.
//!
//! CloudFormation takes JSON and YAML; YAML adds short-form tags (`!Ref`,
//! `!Sub`, `!GetAtt A.B`, …) that are only spellings of the long forms
//! (`{"Ref": …}`, `{"Fn::Sub": …}`). Turning both into the same JSON value
//! here means everything after parsing — intrinsic functions, the model
//! builder — handles one shape.

use serde_json::{Map, Number, Value};
use serde_yaml_ng::Value as Yaml;

use super::error::{ImportError, ImportErrorKind};

/// Parses a CloudFormation template written in JSON or YAML into a JSON
/// value, with YAML's short-form tags turned into their long forms
/// (`!Ref X` → `{"Ref": "X"}`, `!GetAtt A.B` → `{"Fn::GetAtt": ["A", "B"]}`,
/// `!Sub …` → `{"Fn::Sub": …}`, …).
///
/// The text is JSON when its first non-space character is `{`, YAML
/// otherwise. Syntax errors name `file:line:column`.
///
/// ```
/// use phalanx_gateway::cloudformation::parse_template;
///
/// let value = parse_template("Uri: !Sub 'arn:${AWS::Partition}:x'", "t.yaml").unwrap();
/// assert_eq!(value["Uri"]["Fn::Sub"], "arn:${AWS::Partition}:x");
/// ```
pub fn parse_template(source: &str, file: &str) -> Result<Value, ImportError> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    if source.trim_start().starts_with('{') {
        serde_json::from_str(source).map_err(|e| {
            let message = without_position(&e.to_string(), e.line(), e.column());
            ImportError::syntax(
                file,
                e.line(),
                e.column(),
                format!("invalid JSON: {message}"),
            )
        })
    } else {
        let yaml: Yaml = serde_yaml_ng::from_str(source).map_err(|e| match e.location() {
            Some(at) => {
                let message = without_position(&e.to_string(), at.line(), at.column());
                ImportError::syntax(
                    file,
                    at.line(),
                    at.column(),
                    format!("invalid YAML: {message}"),
                )
            }
            None => ImportError::new(ImportErrorKind::Syntax, file, format!("invalid YAML: {e}")),
        })?;
        let mut path = String::new();
        yaml_to_json(yaml, &mut path, file, source)
    }
}

/// A parser's message without its own ` at line L column C` for the
/// position the error already names in front.
fn without_position(message: &str, line: usize, column: usize) -> String {
    message.replacen(&format!(" at line {line} column {column}"), "", 1)
}

/// The long-form name of a short-form tag, without the `!`.
fn long_form(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "Ref" => "Ref",
        "Condition" => "Condition",
        "GetAtt" => "Fn::GetAtt",
        "Sub" => "Fn::Sub",
        "Join" => "Fn::Join",
        "Select" => "Fn::Select",
        "Split" => "Fn::Split",
        "If" => "Fn::If",
        "Equals" => "Fn::Equals",
        "Not" => "Fn::Not",
        "And" => "Fn::And",
        "Or" => "Fn::Or",
        "FindInMap" => "Fn::FindInMap",
        "Base64" => "Fn::Base64",
        "ImportValue" => "Fn::ImportValue",
        "GetAZs" => "Fn::GetAZs",
        "Cidr" => "Fn::Cidr",
        "Transform" => "Fn::Transform",
        "Length" => "Fn::Length",
        "ToJsonString" => "Fn::ToJsonString",
        _ => return None,
    })
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "(top level)" } else { path }
}

/// The first line (1-based) where `tag` is written as a tag.
fn line_of_tag(source: &str, tag: &str) -> Option<usize> {
    source
        .lines()
        .position(|line| {
            line.match_indices(tag).any(|(at, _)| {
                let before = line[..at].chars().next_back();
                let after = line[at + tag.len()..].chars().next();
                before.is_none_or(|c| c.is_whitespace() || matches!(c, '[' | '{' | ',' | ':' | '-'))
                    && after.is_none_or(|c| c.is_whitespace() || matches!(c, ']' | '}' | ','))
            })
        })
        .map(|index| index + 1)
}

fn yaml_to_json(
    yaml: Yaml,
    path: &mut String,
    file: &str,
    source: &str,
) -> Result<Value, ImportError> {
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_u64() {
                Value::Number(i.into())
            } else if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else {
                // Infinities and NaN have no JSON form; keep YAML's spelling
                // as a string, as serde_yaml_ng does for out-of-range numbers.
                n.as_f64()
                    .and_then(Number::from_f64)
                    .map_or_else(|| Value::String(n.to_string()), Value::Number)
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                out.push(yaml_to_json(item, path, file, source)?);
                path.truncate(len);
            }
            Value::Array(out)
        }
        Yaml::Mapping(mapping) => {
            let mut out = Map::new();
            for (key, value) in mapping {
                let key = match key {
                    Yaml::String(s) => s,
                    Yaml::Number(n) => n.to_string(),
                    Yaml::Bool(b) => b.to_string(),
                    // `Null:` as a key is IAM's condition operator far more
                    // often than a null.
                    Yaml::Null => "Null".to_owned(),
                    _ => {
                        return Err(ImportError::at(
                            ImportErrorKind::Invalid,
                            file,
                            display_path(path),
                            "mapping keys must be strings",
                        ));
                    }
                };
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&key);
                let value = yaml_to_json(value, path, file, source)?;
                path.truncate(len);
                out.insert(key, value);
            }
            Value::Object(out)
        }
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let Some(function) = long_form(name) else {
                return Err(ImportError::at(
                    ImportErrorKind::Invalid,
                    file,
                    display_path(path),
                    format!(
                        "unknown tag {tag}; CloudFormation's short forms are !Ref, !GetAtt, \
                         !Sub, !Join, !Select, !Split, !If, !Equals, !Not, !And, !Or, \
                         !FindInMap, !Base64, !Condition, !ImportValue, !GetAZs and !Cidr"
                    ),
                )
                .with_line(line_of_tag(source, &tag)));
            };
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(function);
            let argument = yaml_to_json(tagged.value, path, file, source);
            let argument = match (function, argument?) {
                // `!GetAtt Resource.Attribute`: the resource's logical id
                // cannot contain a dot, so the first dot splits.
                ("Fn::GetAtt", Value::String(s)) => match s.split_once('.') {
                    Some((resource, attribute)) => Value::Array(vec![
                        Value::String(resource.to_owned()),
                        Value::String(attribute.to_owned()),
                    ]),
                    None => {
                        return Err(ImportError::at(
                            ImportErrorKind::Invalid,
                            file,
                            path,
                            format!("!GetAtt {s}: expected `LogicalId.Attribute`"),
                        ));
                    }
                },
                (_, argument) => argument,
            };
            path.truncate(len);
            let mut out = Map::new();
            out.insert(function.to_owned(), argument);
            Value::Object(out)
        }
    })
}
