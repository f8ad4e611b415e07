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
    /// Path parameters, decoded, in path order.
    pub path_parameters: Vec<(String, String)>,
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
    /// parts after the stage) and `http_method`.
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
    let Some((first, rest)) = segments.split_first() else {
        return method_of(node, http_method);
    };
    let decoded = decode(first);
    if let Some(child) = node.literal.get(decoded.as_str())
        && let Some(found) = find_in(child, rest, http_method, params)
    {
        return Some(found);
    }
    if let Some((name, false, child)) = &node.variable {
        params.push((name.clone(), decoded));
        if let Some(found) = find_in(child, rest, http_method, params) {
            return Some(found);
        }
        params.pop();
    }
    if let Some((name, true, child)) = &node.variable
        && let Some(found) = method_of(child, http_method)
    {
        let joined: Vec<String> = segments.iter().map(|s| decode(s)).collect();
        params.push((name.clone(), joined.join("/")));
        return Some(found);
    }
    None
}

fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
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
        let segs: Vec<&str> = path
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        t.find(&segs, method).map(|m| (m.method, m.path_parameters))
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
            Some((2, vec![("proxy".into(), "a/b c/d".into())]))
        );
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
