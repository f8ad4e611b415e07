//! Stage 1, routing: from a request path and method to one method of one
//! resource, with the path parameters it binds.
//!
//! AWS's rules (developer guide, "Set up a proxy integration with a proxy
//! resource" and "Amazon API Gateway important notes"): a literal path part
//! beats a `{variable}` one, which beats a greedy `{proxy+}`; a method
//! beats `ANY` on the same resource; when the best-matching resource lacks
//! the method, routing falls back to the next-best resource that has it.
//! Nothing found → 403 "Missing Authentication Token".

// FxHash: every request hashes its path parts and method here. The tables
// are built from the API's own paths, so a request cannot grow them.
use rustc_hash::FxHashMap as HashMap;

/// A resource tree, built once from the methods' resource paths.
#[derive(Debug, Default)]
pub struct RouteTree {
    root: Node,
}

#[derive(Debug, Default)]
struct Node {
    literal: HashMap<String, Node>,
    /// The one variable child: name, greedy, node.
    variable: Option<(String, bool, Box<Node>)>,
    /// HTTP method (or `ANY`) → index of the compiled method.
    methods: HashMap<String, usize>,
}

/// A route found for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// Index of the compiled method.
    pub method: usize,
    /// Path parameters as the client sent them (still percent-encoded),
    /// in path order.
    pub path_parameters: Vec<(String, String)>,
}

/// The part of a request path after the stage (`/pets/1` of
/// `/dev/pets/1`, empty for `/dev`), or `None` when the path does not name
/// `stage`. Slashes before the stage do not count: LocalStack's
/// AWS-validated snapshot (`test_lambda_aws_proxy_integration`,
/// "invocation-payload-with-prepended-slash-to-stage") shows
/// `//stage/proxy-value` answered as `/stage/proxy-value`.
pub fn after_stage<'p>(path: &'p str, stage: &str) -> Option<&'p str> {
    let rest = path.trim_start_matches('/').strip_prefix(stage)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// The path parts [`RouteTree::find`] routes on, from what
/// [`after_stage`] left: slashes right after the stage are dropped and so
/// is one trailing slash; empty parts inside are kept for a greedy
/// parameter. As AWS does (LocalStack's AWS-validated snapshot
/// `test_lambda_aws_proxy_integration`: `/stage//proxy-value` gives
/// `{proxy+}` = `proxy-value`, `/stage/proxy-value/` gives `proxy-value`,
/// `/stage/proxy-value//double-slash` gives `proxy-value//double-slash`).
pub fn segments(after_stage: &str) -> Vec<&str> {
    let rest = after_stage.trim_start_matches('/');
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        Vec::new()
    } else {
        rest.split('/').collect()
    }
}

/// A path part of a resource path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPart {
    /// `pets`.
    Literal(String),
    /// `{petId}`.
    Variable(String),
    /// `{proxy+}`.
    Greedy(String),
}

/// Splits and checks a resource path (`/pets/{petId}`), with AWS's
/// rules: parts are non-empty; a variable is `{name}` with a name of
/// letters, digits, `_`, `-` or `.`; a greedy `{name+}` only comes last.
pub fn parse_resource_path(path: &str) -> Result<Vec<PathPart>, String> {
    if !path.starts_with('/') {
        return Err(format!("resource path `{path}` must start with `/`"));
    }
    if path == "/" {
        return Ok(Vec::new());
    }
    let parts: Vec<&str> = path[1..].split('/').collect();
    let mut out = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            return Err(format!("resource path `{path}` has an empty path part"));
        }
        if let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(n) => (n, true),
                None => (inner, false),
            };
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            {
                return Err(format!(
                    "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace (in `{path}`)"
                ));
            }
            if greedy && i + 1 != parts.len() {
                return Err(format!(
                    "A greedy path variable `{{{name}+}}` must be the last part of the resource path `{path}`"
                ));
            }
            out.push(if greedy {
                PathPart::Greedy(name.to_string())
            } else {
                PathPart::Variable(name.to_string())
            });
        } else if part.contains(['{', '}']) {
            return Err(format!(
                "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace (in `{path}`)"
            ));
        } else {
            out.push(PathPart::Literal(part.to_string()));
        }
    }
    Ok(out)
}

impl RouteTree {
    /// Adds a method; errors name the clash (AWS allows one variable child
    /// per resource, and one method per verb).
    pub fn insert(
        &mut self,
        parts: &[PathPart],
        http_method: &str,
        index: usize,
    ) -> Result<(), String> {
        let mut node = &mut self.root;
        for part in parts {
            node = match part {
                PathPart::Literal(name) => node.literal.entry(name.clone()).or_default(),
                PathPart::Variable(name) | PathPart::Greedy(name) => {
                    let greedy = matches!(part, PathPart::Greedy(_));
                    if let Some((existing, existing_greedy, _)) = &node.variable
                        && (existing != name || *existing_greedy != greedy)
                    {
                        return Err(format!(
                            "A sibling ({}) of this resource already has a variable path part -- only one is allowed",
                            shown(existing, *existing_greedy)
                        ));
                    }
                    &mut node
                        .variable
                        .get_or_insert_with(|| (name.clone(), greedy, Box::default()))
                        .2
                }
            };
        }
        if node
            .methods
            .insert(http_method.to_string(), index)
            .is_some()
        {
            return Err(format!(
                "Method already exists for this resource: {http_method}"
            ));
        }
        Ok(())
    }

    /// Finds the method for `segments` (raw, still percent-encoded path
    /// parts after the stage, as [`segments`] splits them) and
    /// `http_method`. Empty parts match nothing but a greedy parameter,
    /// which keeps them.
    pub fn find(&self, segments: &[&str], http_method: &str) -> Option<RouteMatch> {
        let mut params = Vec::new();
        find_in(&self.root, segments, http_method, &mut params).map(|method| RouteMatch {
            method,
            path_parameters: params,
        })
    }
}

fn shown(name: &str, greedy: bool) -> String {
    if greedy {
        format!("{{{name}+}}")
    } else {
        format!("{{{name}}}")
    }
}

fn method_of(node: &Node, http_method: &str) -> Option<usize> {
    node.methods
        .get(http_method)
        .or_else(|| node.methods.get("ANY"))
        .copied()
}

fn find_in(
    node: &Node,
    segments: &[&str],
    http_method: &str,
    params: &mut Vec<(String, String)>,
) -> Option<usize> {
    // `/a//b` routes as `/a/b`.
    let start = segments
        .iter()
        .position(|s| !s.is_empty())
        .unwrap_or(segments.len());
    let segments = segments.get(start..).unwrap_or_default();
    let Some((first, rest)) = segments.split_first() else {
        return method_of(node, http_method);
    };
    // Literal parts are compared decoded; parameters keep the client's
    // encoding, as AWS passes them on: LocalStack's AWS-validated snapshot
    // has `test%2Balias@gmail.com` in `{proxy+}` (and in `path`), and in
    // serverless/serverless#5037 `/posts/%40` gives `{id}` = `%40`.
    let decoded = decode(first);
    if let Some(child) = node.literal.get(decoded.as_ref())
        && let Some(found) = find_in(child, rest, http_method, params)
    {
        return Some(found);
    }
    if let Some((name, false, child)) = &node.variable {
        params.push((name.clone(), (*first).to_string()));
        if let Some(found) = find_in(child, rest, http_method, params) {
            return Some(found);
        }
        params.pop();
    }
    if let Some((name, true, child)) = &node.variable
        && let Some(found) = method_of(child, http_method)
    {
        params.push((name.clone(), segments.join("/")));
        return Some(found);
    }
    None
}

fn decode(segment: &str) -> std::borrow::Cow<'_, str> {
    percent_encoding::percent_decode_str(segment).decode_utf8_lossy()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(routes: &[(&str, &str)]) -> RouteTree {
        let mut t = RouteTree::default();
        for (i, (path, method)) in routes.iter().enumerate() {
            t.insert(&parse_resource_path(path).unwrap(), method, i)
                .unwrap();
        }
        t
    }

    fn find(t: &RouteTree, path: &str, method: &str) -> Option<(usize, Vec<(String, String)>)> {
        t.find(&segments(path), method)
            .map(|m| (m.method, m.path_parameters))
    }

    #[test]
    fn literal_beats_variable_beats_greedy() {
        let t = tree(&[
            ("/pets/mine", "GET"),
            ("/pets/{id}", "GET"),
            ("/{proxy+}", "ANY"),
        ]);
        assert_eq!(find(&t, "/pets/mine", "GET").unwrap().0, 0);
        assert_eq!(
            find(&t, "/pets/7", "GET"),
            Some((1, vec![("id".into(), "7".into())]))
        );
        assert_eq!(
            find(&t, "/a/b%20c/d", "DELETE"),
            Some((2, vec![("proxy".into(), "a/b%20c/d".into())]))
        );
    }

    // LocalStack's AWS-validated snapshot, test_lambda_aws_proxy_integration
    // (recorded 2024-08-02): how slashes and encodings reach `{proxy+}`.
    #[test]
    fn slashes_and_encodings_reach_parameters_as_aws_passes_them() {
        let t = tree(&[("/{proxy+}", "ANY"), ("/pets/{id}", "GET")]);
        let proxy = |path: &str| {
            let rest = after_stage(path, "stage").unwrap_or_default();
            find(&t, rest, "GET").map(|(_, p)| p[0].1.clone())
        };
        assert_eq!(proxy("/stage//proxy-value").as_deref(), Some("proxy-value"));
        assert_eq!(proxy("//stage/proxy-value").as_deref(), Some("proxy-value"));
        assert_eq!(proxy("/stage/proxy-value/").as_deref(), Some("proxy-value"));
        assert_eq!(
            proxy("/stage/proxy-value//double-slash").as_deref(),
            Some("proxy-value//double-slash")
        );
        assert_eq!(
            proxy("/stage/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com").as_deref(),
            Some("api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com")
        );
        // serverless/serverless#5037: `{id}` keeps `%40`.
        assert_eq!(proxy("/stage/pets/%40").as_deref(), Some("%40"));
        assert_eq!(after_stage("/stagex/a", "stage"), None);
        assert_eq!(after_stage("/stage", "stage"), Some(""));
    }

    #[test]
    fn method_aware_fallthrough_and_any() {
        let t = tree(&[
            ("/pets/mine", "GET"),
            ("/pets/{id}", "DELETE"),
            ("/pets/{id}", "ANY"),
        ]);
        // POST /pets/mine: the literal resource has no POST, the variable one has ANY.
        assert_eq!(find(&t, "/pets/mine", "POST").unwrap().0, 2);
        assert_eq!(find(&t, "/pets/1", "DELETE").unwrap().0, 1);
        assert_eq!(find(&t, "/pets", "GET"), None);
        assert_eq!(find(&t, "/", "GET"), None);
    }

    #[test]
    fn rejects_bad_paths_and_clashes() {
        assert!(parse_resource_path("pets").is_err());
        assert!(parse_resource_path("/a//b").is_err());
        assert!(parse_resource_path("/{proxy+}/x").is_err());
        assert!(parse_resource_path("/{a b}").is_err());
        let mut t = RouteTree::default();
        t.insert(&parse_resource_path("/a/{x}").unwrap(), "GET", 0)
            .unwrap();
        let err = t
            .insert(&parse_resource_path("/a/{y}").unwrap(), "GET", 1)
            .unwrap_err();
        assert!(err.contains("only one is allowed"), "{err}");
        let err = t
            .insert(&parse_resource_path("/a/{x}").unwrap(), "GET", 2)
            .unwrap_err();
        assert_eq!(err, "Method already exists for this resource: GET");
    }
}
