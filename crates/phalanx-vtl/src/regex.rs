//! Java regular expressions (`String.replaceAll`, `matches`, `split`) on top
//! of `fancy-regex`, which has the look-around and back-references Java
//! patterns use. The few Java-only spellings are rewritten first; compiled
//! patterns are cached per thread because templates pass the same literal
//! pattern on every render.

use fancy_regex::{Captures, Regex};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

const CACHE_LIMIT: usize = 128;

thread_local! {
    static CACHE: RefCell<HashMap<String, Rc<Regex>>> = RefCell::new(HashMap::new());
}

/// Compiles a Java regex (cached). The error reads like Java's
/// `PatternSyntaxException`.
pub(crate) fn java_regex(pattern: &str) -> Result<Rc<Regex>, String> {
    if let Some(r) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(r);
    }
    let translated = translate(pattern);
    let regex = fancy_regex::RegexBuilder::new(&translated)
        .backtrack_limit(1_000_000)
        .build()
        .map_err(|e| format!("PatternSyntaxException: {e} in pattern \"{pattern}\""))?;
    let regex = Rc::new(regex);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_LIMIT {
            c.clear();
        }
        c.insert(pattern.to_string(), regex.clone());
    });
    Ok(regex)
}

/// Compiles a Java regex that must match a whole string, as Java's
/// `String.matches` and `Pattern.matches` do — API Gateway matches an
/// integration response's `SelectionPattern` this way. Not cached: callers
/// compile once and keep the result.
///
/// ```
/// let re = phalanx_vtl::java_regex_whole_match(".*Not Found.*").unwrap();
/// assert!(re.is_match("404 Not Found: item 7").unwrap());
/// assert!(!phalanx_vtl::java_regex_whole_match("Not").unwrap().is_match("Not Found").unwrap());
/// ```
pub fn java_regex_whole_match(pattern: &str) -> Result<Regex, String> {
    let translated = format!(r"\A(?:{})\z", translate(pattern));
    fancy_regex::RegexBuilder::new(&translated)
        .backtrack_limit(1_000_000)
        .build()
        .map_err(|e| format!("PatternSyntaxException: {e} in pattern \"{pattern}\""))
}

/// Rewrites Java-only syntax: `\Q…\E` quoting, POSIX classes like
/// `\p{Alpha}`, `\Z`, and `\h`.
fn translate(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut chars = p.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, n)) = chars.next() else {
            out.push('\\');
            break;
        };
        match n {
            'Q' => {
                let rest = &p[i + 2..];
                let (quoted, skip) = match rest.find("\\E") {
                    Some(e) => (&rest[..e], e + 2),
                    None => (rest, rest.len()),
                };
                out.push_str(&fancy_regex::escape(quoted));
                // Advance the iterator past the quoted text.
                let target = i + 2 + skip;
                while chars.peek().is_some_and(|(j, _)| *j < target) {
                    chars.next();
                }
            }
            'Z' => out.push_str(r"(?=\n?\z)"),
            // Java's classes are ASCII unless UNICODE_CHARACTER_CLASS is on
            // (`\w` does not match `é`); nested classes keep them usable
            // inside `[…]` too.
            'w' => out.push_str("[a-zA-Z_0-9]"),
            'W' => out.push_str("[^a-zA-Z_0-9]"),
            'd' => out.push_str("[0-9]"),
            'D' => out.push_str("[^0-9]"),
            's' => out.push_str(r"[ \t\n\x0B\f\r]"),
            'S' => out.push_str(r"[^ \t\n\x0B\f\r]"),
            'h' => {
                out.push_str(r"[ \t\xA0\x{1680}\x{180e}\x{2000}-\x{200a}\x{202f}\x{205f}\x{3000}]")
            }
            'p' | 'P' if p[i + 2..].starts_with('{') => {
                let rest = &p[i + 2..];
                let close = rest.find('}').unwrap_or(rest.len());
                let name = &rest[1..close.max(1)];
                let class = match name {
                    "Lower" => Some("a-z"),
                    "Upper" => Some("A-Z"),
                    "ASCII" => Some(r"\x00-\x7F"),
                    "Alpha" => Some("a-zA-Z"),
                    "Digit" => Some("0-9"),
                    "Alnum" => Some("a-zA-Z0-9"),
                    "Punct" => Some(r##"!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"##),
                    "Graph" => Some(r##"a-zA-Z0-9!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"##),
                    "Print" => Some(r##" a-zA-Z0-9!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"##),
                    "Blank" => Some(r" \t"),
                    "Cntrl" => Some(r"\x00-\x1F\x7F"),
                    "XDigit" => Some("0-9a-fA-F"),
                    "Space" => Some(r" \t\n\x0B\f\r"),
                    _ => None,
                };
                match class {
                    Some(class) => {
                        out.push_str(if n == 'p' { "[" } else { "[^" });
                        out.push_str(class);
                        out.push(']');
                        let target = i + 2 + close + 1;
                        while chars.peek().is_some_and(|(j, _)| *j < target) {
                            chars.next();
                        }
                    }
                    None => {
                        out.push('\\');
                        out.push(n);
                    }
                }
            }
            _ => {
                out.push('\\');
                out.push(n);
            }
        }
    }
    out
}

/// A parsed Java replacement string (`$1`, `${name}`, `\$`).
pub(crate) enum Piece {
    Text(String),
    Group(usize),
    Named(String),
}

/// Parses a `Matcher.replaceAll` replacement as Java does, with its errors.
pub(crate) fn java_replacement(rep: &str, group_count: usize) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = rep.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => text.push(n),
                None => {
                    return Err(
                        "IllegalArgumentException: character to be escaped is missing".into(),
                    );
                }
            },
            '$' => {
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                match chars.peek() {
                    Some('{') => {
                        chars.next();
                        let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                        pieces.push(Piece::Named(name));
                    }
                    Some(d) if d.is_ascii_digit() => {
                        // Java takes more digits while the number stays a valid group.
                        let mut n = d.to_digit(10).unwrap_or(0) as usize;
                        chars.next();
                        if n > group_count - 1 {
                            return Err(format!("IndexOutOfBoundsException: No group {n}"));
                        }
                        while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                            let next = n * 10 + d as usize;
                            if next > group_count - 1 {
                                break;
                            }
                            n = next;
                            chars.next();
                        }
                        pieces.push(Piece::Group(n));
                    }
                    _ => return Err("IllegalArgumentException: Illegal group reference".into()),
                }
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// The matches Java's `Matcher.find()` loop finds: after a match ending at
/// `e` the next search starts at `e`, so an empty match may follow a
/// non-empty one right away (`"aab".replaceAll("a*", "x")` is `xxbx`);
/// after an empty match it starts one character later. Rust's iterators
/// skip an empty match that touches the previous match, so they are not used.
pub(crate) fn java_matches<'t>(
    regex: &Regex,
    text: &'t str,
) -> impl Iterator<Item = Result<Captures<'t>, String>> {
    let mut from = Some(0);
    std::iter::from_fn(move || {
        let pos = from?;
        match regex.captures_from_pos(text, pos) {
            Ok(Some(caps)) => {
                let (start, end) = caps.get(0).map_or((pos, pos), |m| (m.start(), m.end()));
                from = if start < end {
                    Some(end)
                } else {
                    // The next character boundary; none past the end.
                    text.get(end..)
                        .and_then(|rest| rest.chars().next())
                        .map(|c| end + c.len_utf8())
                };
                Some(Ok(caps))
            }
            Ok(None) => {
                from = None;
                None
            }
            Err(e) => {
                from = None;
                Some(Err(e.to_string()))
            }
        }
    })
}

/// Replaces the first `limit` matches (all when `limit == 0`).
pub(crate) fn replace(
    regex: &Regex,
    s: &str,
    rep: &[Piece],
    limit: usize,
) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (n, caps) in java_matches(regex, s).enumerate() {
        if limit > 0 && n >= limit {
            break;
        }
        let caps = caps?;
        let Some(whole) = caps.get(0) else { continue };
        out.push_str(&s[last..whole.start()]);
        for piece in rep {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Group(g) => out.push_str(caps.get(*g).map_or("", |m| m.as_str())),
                Piece::Named(name) => match caps.name(name) {
                    Some(m) => out.push_str(m.as_str()),
                    None if regex.capture_names().any(|n| n == Some(name)) => {}
                    None => {
                        return Err(format!(
                            "IllegalArgumentException: No group with name {{{name}}}"
                        ));
                    }
                },
            }
        }
        last = whole.end();
    }
    out.push_str(&s[last..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replace_all(s: &str, re: &str, rep: &str) -> Result<String, String> {
        let r = java_regex(re)?;
        let pieces = java_replacement(rep, r.captures_len())?;
        replace(&r, s, &pieces, 0)
    }

    #[test]
    fn java_syntax() {
        assert_eq!(replace_all("a.b", r"\Q.\E", "-").unwrap(), "a-b");
        assert_eq!(replace_all("ab12", r"\p{Alpha}", "").unwrap(), "12");
        assert_eq!(replace_all("abc", "(b)", "[$1]").unwrap(), "a[b]c");
        assert_eq!(replace_all("abc", "b", "\\$").unwrap(), "a$c");
        assert_eq!(replace_all("foo", "(?<x>o)", "${x}0").unwrap(), "fo0o0");
        assert!(replace_all("abc", "b", "$").is_err());
        assert!(replace_all("abc", "b", "$2").is_err());
        assert!(java_regex("(").is_err());
    }

    #[test]
    fn empty_matches_like_java() {
        assert_eq!(replace_all("aab", "a*", "x").unwrap(), "xxbx");
        assert_eq!(replace_all("bab", "a|", "-").unwrap(), "-b--b-");
        assert_eq!(replace_all("é", "", "-").unwrap(), "-é-");
    }
}
