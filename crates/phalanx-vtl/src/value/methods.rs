//! Java methods on built-in values, looked up the way Velocity 1.7's
//! introspector does: by name and argument count/types.
//!
//! String indices are UTF-16 code units, as in Java.

use super::{List, Map, MethodError, Object, Value, walk};
use crate::regex::{java_matches, java_regex, java_replacement};
use std::rc::Rc;
use std::sync::Arc;

type MethodResult = Result<Value, MethodError>;

fn failed(msg: impl Into<String>) -> MethodError {
    MethodError::Failed(msg.into())
}

/// What a Java method declared `void` returns to the template: Velocity
/// 1.7's `ASTMethod` gives `""` for a void method, so `$list.clear()`
/// renders as nothing (not as its source, as a `null` result would).
fn void() -> MethodResult {
    Ok(Value::from(""))
}

/// `$value.name(args)`.
pub(crate) fn call_method(target: &Value, name: &str, args: &[Value]) -> MethodResult {
    // Host objects first: they answer every method themselves.
    if let Value::Object(o) = target {
        return match (o.call(name, args), name, args) {
            // Java's `Object.equals` (identity) for host objects without one.
            (Err(MethodError::NotFound), "equals", [other]) => {
                Ok(Value::Bool(target.java_equals(other)))
            }
            (result, ..) => result,
        };
    }
    // Methods every Java object has.
    match (name, args) {
        ("toString", []) if !matches!(target, Value::Object(_)) => {
            let mut s = String::new();
            return match target.try_render_into(&mut s) {
                Ok(()) => Ok(Value::from(s)),
                Err(_) => Err(failed(
                    "StackOverflowError: the list or map contains itself",
                )),
            };
        }
        ("equals", [other]) if !matches!(target, Value::Object(_)) => {
            return Ok(Value::Bool(target.java_equals(other)));
        }
        _ => {}
    }
    match target {
        Value::String(s) => string_method(s, name, args),
        Value::List(l) => list_method(l, name, args),
        Value::Map(m) => map_method(m, name, args),
        Value::Int(_) | Value::Float(_) => number_method(target, name, args),
        Value::Bool(b) => match (name, args) {
            ("booleanValue", []) => Ok(Value::Bool(*b)),
            ("hashCode", []) => Ok(Value::Int(if *b { 1231 } else { 1237 })),
            ("compareTo", [Value::Bool(o)]) => Ok(Value::Int(i64::from(*b) - i64::from(*o))),
            ("compareTo", [o]) => Err(failed(format!(
                "ClassCastException: {} cannot be cast to Boolean",
                o.type_name()
            ))),
            _ => Err(MethodError::NotFound),
        },
        // Java's `Object.equals` (identity) for host objects without one.
        Value::Object(o) => match (o.call(name, args), name, args) {
            (Err(MethodError::NotFound), "equals", [other]) => {
                Ok(Value::Bool(target.java_equals(other)))
            }
            (result, ..) => result,
        },
        Value::Null => Err(MethodError::NotFound),
    }
}

/// `$value.name`: Velocity tries `getName()`, `getname()`, then `get("name")`
/// on maps, then `isName()`.
pub(crate) fn get_property(target: &Value, name: &str) -> Option<Value> {
    match target {
        Value::Map(m) => m.borrow().get(name).cloned(),
        Value::Object(o) => o.property(name),
        Value::String(s) => match name {
            "empty" => Some(Value::Bool(s.is_empty())),
            "bytes" => Some(Value::list(
                s.bytes().map(|b| Value::Int(i64::from(b as i8))).collect(),
            )),
            _ => None,
        },
        Value::List(l) => match name {
            "empty" => Some(Value::Bool(l.borrow().is_empty())),
            _ => None,
        },
        Value::Float(f) => match name {
            "naN" => Some(Value::Bool(f.is_nan())),
            "infinite" => Some(Value::Bool(f.is_infinite())),
            _ => None,
        },
        _ => None,
    }
}

/// `#set($value.name = x)`: `put` on maps; on a host object its setter
/// `setName(x)`, else its `put("name", x)` (Velocity 1.7's
/// `SetPropertyExecutor`, then `PutExecutor`), which gets the name as
/// written (`X-Header`, not `setX-Header`).
pub(crate) fn set_property(target: &Value, name: &str, value: Value) -> Result<(), MethodError> {
    match target {
        Value::Map(m) => {
            refuse_cycle(Rc::as_ptr(m) as *const (), [&value])?;
            m.borrow_mut().insert(Value::from(name), value);
            Ok(())
        }
        Value::Object(o) => {
            let setter = format!(
                "set{}{}",
                name.get(..1).unwrap_or("").to_uppercase(),
                name.get(1..).unwrap_or("")
            );
            match o.call(&setter, std::slice::from_ref(&value)) {
                Err(MethodError::NotFound) => o.call("put", &[Value::from(name), value]),
                other => other,
            }
            .map(|_| ())
        }
        _ => Err(MethodError::NotFound),
    }
}

/// `$value[index]`: list position or map key.
pub(crate) fn get_index(target: &Value, index: &Value) -> MethodResult {
    match target {
        Value::List(l) => {
            let l = l.borrow();
            let i = from_end(index, l.len());
            let i = list_index(&i, l.len(), false)?;
            Ok(l[i].clone())
        }
        Value::Map(m) => Ok(m.borrow().get(index).cloned().unwrap_or_default()),
        // Velocity counts a negative index from the end with the value's
        // `size()`, and fails on values that have none.
        Value::Object(o) => match index {
            Value::Int(i) if *i < 0 => match o.call("size", &[]) {
                Ok(Value::Int(n)) => o.call("get", &[Value::Int(n + i)]),
                _ => Err(failed(format!(
                    "A 'size()' method required for negative value {i} does not exist for class '{}'",
                    o.type_name()
                ))),
            },
            _ => o.call("get", std::slice::from_ref(index)),
        },
        Value::String(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) if matches!(index, Value::Int(i) if *i < 0) => {
            Err(failed(format!(
                "A 'size()' method required for negative value {index} does not exist for class '{}'",
                target.type_name()
            )))
        }
        _ => Err(MethodError::NotFound),
    }
}

/// `#set($value[index] = x)`: list position (negative counts from the end)
/// or map key.
pub(crate) fn set_index(target: &Value, index: &Value, value: Value) -> Result<(), MethodError> {
    match target {
        Value::List(l) => {
            let i = from_end(index, l.borrow().len());
            call_method(target, "set", &[i, value]).map(|_| ())
        }
        Value::Map(_) => call_method(target, "put", &[index.clone(), value]).map(|_| ()),
        // A host object: `set(index, x)`, else `put(index, x)`.
        Value::Object(o) => match o.call("set", &[index.clone(), value.clone()]) {
            Err(MethodError::NotFound) => o.call("put", &[index.clone(), value]),
            other => other,
        }
        .map(|_| ()),
        _ => Err(MethodError::NotFound),
    }
}

/// Velocity 1.7's index notation counts a negative index from the end
/// (`$a[-1]` is the last item; IndexTestCase).
fn from_end(index: &Value, len: usize) -> Value {
    match index {
        Value::Int(i) if *i < 0 => Value::Int(*i + len as i64),
        other => other.clone(),
    }
}

/// A Java `int` argument used as an index into something of length `len`
/// (`len` itself allowed when `inclusive_end`).
fn list_index(index: &Value, len: usize, inclusive_end: bool) -> Result<usize, MethodError> {
    let Some(i) = int_arg(index) else {
        return Err(MethodError::NotFound);
    };
    let i = &i;
    let max = if inclusive_end {
        len
    } else {
        len.saturating_sub(1)
    };
    match usize::try_from(*i) {
        Ok(u) if u <= max && (inclusive_end || len > 0) => Ok(u),
        _ => Err(failed(format!(
            "IndexOutOfBoundsException: Index: {i}, Size: {len}"
        ))),
    }
}

/// A Java `int` argument: a Long does not convert to one, so a method
/// taking an int is not found for it (Velocity then gives null).
fn int_arg(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) if i32::try_from(*i).is_ok() => Some(*i),
        _ => None,
    }
}

fn str_arg(v: &Value) -> Option<&str> {
    v.as_str()
}

// ----- strings --------------------------------------------------------

/// Byte offset of UTF-16 index `i` in `s`, if it falls on a char boundary
/// inside (or at the end of) the string.
fn byte_offset(s: &str, i: usize) -> Option<usize> {
    if s.is_ascii() {
        return (i <= s.len()).then_some(i);
    }
    let mut units = 0;
    for (b, c) in s.char_indices() {
        if units == i {
            return Some(b);
        }
        units += c.len_utf16();
        if units > i {
            return None;
        }
    }
    (units == i).then_some(s.len())
}

fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

/// UTF-16 index of byte offset `b`.
fn utf16_index(s: &str, b: usize) -> usize {
    if s.is_ascii() {
        b
    } else {
        s.get(..b).map_or(0, utf16_len)
    }
}

fn index_of(s: &str, needle: &str, from: i64) -> i64 {
    let from = usize::try_from(from.max(0)).unwrap_or(usize::MAX);
    if from > utf16_len(s) {
        return -1;
    }
    let Some(start) = byte_offset(s, from).or_else(|| {
        // `from` points inside a surrogate pair: search from the next char.
        byte_offset(s, from + 1)
    }) else {
        return -1;
    };
    s.get(start..)
        .and_then(|rest| rest.find(needle))
        .map_or(-1, |b| utf16_index(s, start + b) as i64)
}

fn last_index_of(s: &str, needle: &str, from: Option<i64>) -> i64 {
    let limit = match from {
        Some(f) if f < 0 => return -1,
        Some(f) => {
            let f = usize::try_from(f).unwrap_or(usize::MAX).min(utf16_len(s));
            byte_offset(s, f).unwrap_or(s.len())
        }
        None => s.len(),
    };
    // The match may start at `limit` and extend past it.
    let end = (limit + needle.len()).min(s.len());
    let mut end = end;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end)
        .and_then(|h| h.rfind(needle))
        .map_or(-1, |b| utf16_index(s, b) as i64)
}

/// Java's `String.hashCode`.
fn java_hash(s: &str) -> i64 {
    let mut h: i32 = 0;
    for unit in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    h.into()
}

/// Java's `String.trim`: strips every char `<= ' '` from both ends.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

fn substring(s: &str, begin: i64, end: Option<i64>) -> MethodResult {
    let len = utf16_len(s) as i64;
    let end_v = end.unwrap_or(len);
    if begin < 0 || end_v > len || begin > end_v {
        return Err(failed(format!(
            "StringIndexOutOfBoundsException: begin {begin}, end {end_v}, length {len}"
        )));
    }
    let (b, e) = (
        byte_offset(s, begin as usize),
        byte_offset(s, end_v as usize),
    );
    match (b, e) {
        (Some(b), Some(e)) => Ok(Value::from(s.get(b..e).unwrap_or(""))),
        // Splitting a surrogate pair: Java would produce a lone surrogate,
        // which no Rust string can hold; U+FFFD stands in for it.
        _ => {
            let units: Vec<u16> = s.encode_utf16().collect();
            let slice = units.get(begin as usize..end_v as usize).unwrap_or(&[]);
            Ok(Value::from(String::from_utf16_lossy(slice)))
        }
    }
}

fn string_method(string: &Arc<str>, name: &str, args: &[Value]) -> MethodResult {
    let s: &str = string;
    match (name, args) {
        ("length", []) => Ok(utf16_len(s).into()),
        ("isEmpty", []) => Ok(s.is_empty().into()),
        ("hashCode", []) => Ok(Value::Int(java_hash(s))),
        ("toLowerCase", []) => Ok(s.to_lowercase().into()),
        ("toUpperCase", []) => Ok(s.to_uppercase().into()),
        ("trim", []) => Ok(java_trim(s).into()),
        ("intern", []) => Ok(s.into()),
        ("substring", [b]) => substring(s, int_arg(b).ok_or(MethodError::NotFound)?, None),
        ("substring" | "subSequence", [b, e]) => substring(
            s,
            int_arg(b).ok_or(MethodError::NotFound)?,
            Some(int_arg(e).ok_or(MethodError::NotFound)?),
        ),
        ("charAt", [i]) => {
            let i = int_arg(i).ok_or(MethodError::NotFound)?;
            let units: Vec<u16> = s.encode_utf16().collect();
            match usize::try_from(i).ok().and_then(|u| units.get(u)) {
                Some(u) => Ok(Value::object(JavaChar(*u))),
                None => Err(failed(format!(
                    "StringIndexOutOfBoundsException: index {i}, length {}",
                    units.len()
                ))),
            }
        }
        ("indexOf", [needle]) => Ok(index_of(s, &needle_str(needle)?, 0).into()),
        ("indexOf", [needle, from]) => Ok(index_of(
            s,
            &needle_str(needle)?,
            int_arg(from).ok_or(MethodError::NotFound)?,
        )
        .into()),
        ("lastIndexOf", [needle]) => Ok(last_index_of(s, &needle_str(needle)?, None).into()),
        ("lastIndexOf", [needle, from]) => Ok(last_index_of(
            s,
            &needle_str(needle)?,
            Some(int_arg(from).ok_or(MethodError::NotFound)?),
        )
        .into()),
        ("contains", [x]) => Ok(s.contains(&*char_seq(x)?).into()),
        ("startsWith", [p]) => Ok(s
            .starts_with(str_arg(p).ok_or(MethodError::NotFound)?)
            .into()),
        ("startsWith", [p, off]) => {
            let off = int_arg(off).ok_or(MethodError::NotFound)?;
            let p = str_arg(p).ok_or(MethodError::NotFound)?;
            Ok(usize::try_from(off)
                .ok()
                .and_then(|o| byte_offset(s, o))
                .and_then(|b| s.get(b..))
                .is_some_and(|rest| rest.starts_with(p))
                .into())
        }
        ("endsWith", [p]) => Ok(s.ends_with(str_arg(p).ok_or(MethodError::NotFound)?).into()),
        ("equalsIgnoreCase", [o]) => Ok(o
            .as_str()
            .is_some_and(|o| {
                o.chars().count() == s.chars().count()
                    && o.chars().zip(s.chars()).all(|(a, b)| {
                        a == b
                            || a.to_uppercase().eq(b.to_uppercase())
                            || a.to_lowercase().eq(b.to_lowercase())
                    })
            })
            .into()),
        ("compareTo", [Value::String(o)]) => Ok(java_compare(s, o).into()),
        // Through the bridge method `compareTo(Object)`.
        ("compareTo", [o]) => Err(failed(format!(
            "ClassCastException: {} cannot be cast to String",
            o.type_name()
        ))),
        ("compareToIgnoreCase", [Value::String(o)]) => {
            Ok(java_compare(&s.to_lowercase(), &o.to_lowercase()).into())
        }
        ("concat", [Value::String(o)]) => Ok(format!("{s}{o}").into()),
        ("replace", [a, b]) => {
            let (a, b) = (char_seq(a)?, char_seq(b)?);
            if a.is_empty() {
                // Java inserts the replacement between every UTF-16 unit and
                // at both ends, so it splits surrogate pairs; each half is a
                // lone surrogate, which U+FFFD stands in for (as in `substring`).
                let mut out = String::from(&*b);
                for c in s.chars() {
                    if c.len_utf16() == 1 {
                        out.push(c);
                    } else {
                        out.push(char::REPLACEMENT_CHARACTER);
                        out.push_str(&b);
                        out.push(char::REPLACEMENT_CHARACTER);
                    }
                    out.push_str(&b);
                }
                return Ok(out.into());
            }
            // Java returns the string itself when nothing matches: so do
            // we, without a copy (templates escape every value this way).
            Ok(replace_literal(s, &a, &b)
                .map_or_else(|| Value::String(string.clone()), Value::from))
        }
        ("replaceAll" | "replaceFirst", [Value::String(re), Value::String(rep)]) => {
            let regex = java_regex(re).map_err(failed)?;
            let rep = java_replacement(rep, regex.captures_len()).map_err(failed)?;
            let limit = if name == "replaceAll" { 0 } else { 1 };
            crate::regex::replace(&regex, s, &rep, limit)
                .map(Value::from)
                .map_err(failed)
        }
        ("matches", [Value::String(re)]) => {
            let regex = java_regex(&format!("^(?:{re})$")).map_err(failed)?;
            regex
                .is_match(s)
                .map(Value::Bool)
                .map_err(|e| failed(e.to_string()))
        }
        ("split", [Value::String(re)]) => split(s, re, 0),
        ("split", [Value::String(re), limit]) => {
            split(s, re, int_arg(limit).ok_or(MethodError::NotFound)?)
        }
        ("toCharArray", []) => Ok(Value::list(
            s.chars().map(|c| Value::from(c.to_string())).collect(),
        )),
        ("codePointAt", [i]) => {
            let i = int_arg(i).ok_or(MethodError::NotFound)?;
            let units: Vec<u16> = s.encode_utf16().collect();
            let Some(rest) = usize::try_from(i)
                .ok()
                .and_then(|u| units.get(u..))
                .filter(|r| !r.is_empty())
            else {
                return Err(failed(format!(
                    "StringIndexOutOfBoundsException: index {i}, length {}",
                    units.len()
                )));
            };
            let c = char::decode_utf16(rest.iter().copied())
                .next()
                .map_or(u32::from(rest[0]), |r| {
                    r.map_or(u32::from(rest[0]), u32::from)
                });
            Ok(Value::Int(c.into()))
        }
        ("getBytes", []) => get_property(&Value::from(s), "bytes").ok_or(MethodError::NotFound),
        _ => Err(MethodError::NotFound),
    }
}

/// A Java `Character`, what `charAt` returns: it renders as its char but
/// has Character's methods, not String's (`$s.charAt(0).length()` is null).
/// It holds one UTF-16 unit; half a surrogate pair renders as U+FFFD.
struct JavaChar(u16);

impl Object for JavaChar {
    fn type_name(&self) -> &str {
        "Character"
    }
    fn call(&self, method: &str, args: &[Value]) -> MethodResult {
        match (method, args) {
            ("toString", []) => Ok(self.render().into()),
            ("charValue", []) => Ok(Value::object(JavaChar(self.0))),
            ("hashCode", []) => Ok(Value::Int(self.0.into())),
            ("equals", [other]) => Ok(Value::Bool(other_char(other) == Some(self.0))),
            ("compareTo", [other]) => match other_char(other) {
                Some(o) => Ok(Value::Int(i64::from(self.0) - i64::from(o))),
                None => Err(failed(format!(
                    "ClassCastException: {} cannot be cast to Character",
                    other.type_name()
                ))),
            },
            _ => Err(MethodError::NotFound),
        }
    }
    fn render(&self) -> String {
        String::from_utf16_lossy(&[self.0])
    }
}

fn other_char(v: &Value) -> Option<u16> {
    match v {
        Value::Object(o) => (o.as_ref() as &dyn std::any::Any)
            .downcast_ref::<JavaChar>()
            .map(|c| c.0),
        _ => None,
    }
}

/// `s` with every `from` (not empty) replaced by `to`, or `None` when `from`
/// does not occur. Scans with `memchr` for `from`'s first byte: the
/// needles templates use are a few bytes long, where building a
/// substring searcher costs more than the search.
fn replace_literal(s: &str, from: &str, to: &str) -> Option<String> {
    let (haystack, needle) = (s.as_bytes(), from.as_bytes());
    let find = |start: usize| {
        let (&first, rest) = needle.split_first()?;
        let mut at = start;
        while let Some(i) = memchr::memchr(first, haystack.get(at..)?) {
            let found = at + i;
            if haystack[found + 1..].starts_with(rest) {
                return Some(found);
            }
            at = found + 1;
        }
        None
    };
    let mut found = find(0)?;
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    loop {
        // `found` starts a match of `from` (valid UTF-8), so both slice
        // ends are on character boundaries.
        out.push_str(&s[copied..found]);
        out.push_str(to);
        copied = found + from.len();
        match find(copied) {
            Some(next) => found = next,
            None => break,
        }
    }
    out.push_str(&s[copied..]);
    Some(out)
}

/// A `CharSequence` argument (Velocity passes its string form).
fn char_seq(v: &Value) -> Result<Arc<str>, MethodError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        _ => Err(MethodError::NotFound),
    }
}

/// `indexOf` takes a String or a char (an int code point).
fn needle_str(v: &Value) -> Result<String, MethodError> {
    match v {
        Value::String(s) => Ok(s.to_string()),
        Value::Int(c) => u32::try_from(*c)
            .ok()
            .and_then(char::from_u32)
            .map(String::from)
            .ok_or(MethodError::NotFound),
        _ => Err(MethodError::NotFound),
    }
}

/// Java's `String.compareTo`: UTF-16 code unit difference or length difference.
fn java_compare(a: &str, b: &str) -> i64 {
    let (mut x, mut y) = (a.encode_utf16(), b.encode_utf16());
    loop {
        match (x.next(), y.next()) {
            (Some(p), Some(q)) if p != q => return i64::from(p) - i64::from(q),
            (Some(_), Some(_)) => {}
            _ => return utf16_len(a) as i64 - utf16_len(b) as i64,
        }
    }
}

/// Java's `String.split(regex, limit)`: with `limit == 0` trailing empty
/// strings are dropped; a zero-width match at the start yields no leading
/// empty string (Java 8+).
fn split(s: &str, re: &str, limit: i64) -> MethodResult {
    let regex = java_regex(re).map_err(failed)?;
    let mut parts: Vec<&str> = Vec::new();
    let mut last = 0;
    if !s.is_empty() {
        // Java's find loop: an empty match may directly follow another match.
        for caps in java_matches(&regex, s) {
            let caps = caps.map_err(failed)?;
            let Some(m) = caps.get(0) else { continue };
            if limit > 0 && parts.len() as i64 == limit - 1 {
                break;
            }
            if m.end() == 0 {
                continue;
            }
            parts.push(s.get(last..m.start()).unwrap_or(""));
            last = m.end();
        }
    }
    parts.push(s.get(last..).unwrap_or(""));
    if limit == 0 {
        while parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
            parts.pop();
        }
        if parts.len() == 1 && parts[0].is_empty() && !s.is_empty() {
            parts.pop();
        }
    }
    Ok(Value::list(parts.into_iter().map(Value::from).collect()))
}

// ----- lists ----------------------------------------------------------

fn list_method(l: &List, name: &str, args: &[Value]) -> MethodResult {
    let this = Rc::as_ptr(l) as *const ();
    match (name, args) {
        ("add" | "set", _) => refuse_cycle(this, args)?,
        ("addAll", [Value::List(other)]) => refuse_cycle(this, other.borrow().iter())?,
        _ => {}
    }
    match (name, args) {
        ("size", []) => Ok(l.borrow().len().into()),
        ("isEmpty", []) => Ok(l.borrow().is_empty().into()),
        ("get", [i]) => {
            let l = l.borrow();
            let i = list_index(i, l.len(), false)?;
            Ok(l[i].clone())
        }
        ("add", [v]) => {
            l.borrow_mut().push(v.clone());
            Ok(Value::Bool(true))
        }
        ("add", [i, v]) => {
            let mut list = l.borrow_mut();
            let i = list_index(i, list.len(), true)?;
            list.insert(i, v.clone());
            void()
        }
        ("set", [i, v]) => {
            let mut list = l.borrow_mut();
            let i = list_index(i, list.len(), false)?;
            Ok(std::mem::replace(&mut list[i], v.clone()))
        }
        // Velocity picks `remove(int)` for an Integer argument.
        ("remove", [Value::Int(i)]) if i32::try_from(*i).is_ok() => {
            let mut list = l.borrow_mut();
            let i = list_index(&args[0], list.len(), false)?;
            Ok(list.remove(i))
        }
        ("remove", [v]) => {
            // Compared before the list is borrowed for the change: `v` may
            // be the list itself or hold it (`$l.remove($l)`).
            let found = l.borrow().iter().position(|x| x.java_equals(v));
            match found {
                Some(i) => {
                    l.borrow_mut().remove(i);
                    Ok(Value::Bool(true))
                }
                None => Ok(Value::Bool(false)),
            }
        }
        ("contains", [v]) => Ok(l.borrow().iter().any(|x| x.java_equals(v)).into()),
        ("indexOf", [v]) => Ok(l
            .borrow()
            .iter()
            .position(|x| x.java_equals(v))
            .map_or(-1, |i| i as i64)
            .into()),
        ("lastIndexOf", [v]) => Ok(l
            .borrow()
            .iter()
            .rposition(|x| x.java_equals(v))
            .map_or(-1, |i| i as i64)
            .into()),
        ("subList", [a, b]) => {
            let list = l.borrow();
            let (a, b) = (
                int_arg(a).ok_or(MethodError::NotFound)?,
                int_arg(b).ok_or(MethodError::NotFound)?,
            );
            match (usize::try_from(a), usize::try_from(b)) {
                (Ok(a), Ok(b)) if a <= b && b <= list.len() => Ok(Value::list(list[a..b].to_vec())),
                _ => Err(failed(format!(
                    "IndexOutOfBoundsException: fromIndex {a}, toIndex {b}, size {}",
                    list.len()
                ))),
            }
        }
        ("addAll", [Value::List(other)]) => {
            let items = other.borrow().clone();
            let changed = !items.is_empty();
            l.borrow_mut().extend(items);
            Ok(Value::Bool(changed))
        }
        ("containsAll", [Value::List(other)]) => {
            let list = l.borrow();
            Ok(other
                .borrow()
                .iter()
                .all(|v| list.iter().any(|x| x.java_equals(v)))
                .into())
        }
        ("clear", []) => {
            l.borrow_mut().clear();
            void()
        }
        ("hashCode", []) => {
            // Java recurses into the items: a list that holds itself (or is
            // nested deeper than a walk may go) throws.
            let overflow =
                || failed("StackOverflowError: the list contains itself or is nested too deeply");
            let _level = walk::Level::enter().ok_or_else(overflow)?;
            let mut h: i32 = 1;
            for v in l.borrow().iter() {
                if !walk::step() {
                    return Err(overflow());
                }
                h = h.wrapping_mul(31).wrapping_add(hash_code(v)?);
            }
            Ok(Value::Int(h.into()))
        }
        _ => Err(MethodError::NotFound),
    }
}

fn hash_code(v: &Value) -> Result<i32, MethodError> {
    match call_method(v, "hashCode", &[]) {
        Ok(Value::Int(i)) => Ok(i as i32),
        Err(e @ MethodError::Failed(_)) => Err(e),
        _ => Ok(0),
    }
}

// ----- maps -----------------------------------------------------------

/// A map entry from `entrySet()`: `$e.key`, `$e.value`, renders `k=v`.
struct Entry {
    key: Value,
    value: Value,
}

impl Object for Entry {
    fn type_name(&self) -> &str {
        "Map.Entry"
    }
    fn property(&self, name: &str) -> Option<Value> {
        match name {
            "key" => Some(self.key.clone()),
            "value" => Some(self.value.clone()),
            _ => None,
        }
    }
    fn call(&self, method: &str, args: &[Value]) -> MethodResult {
        match (method, args) {
            ("getKey", []) => Ok(self.key.clone()),
            ("getValue", []) => Ok(self.value.clone()),
            ("toString", []) => Ok(self.render().into()),
            // `Map.Entry`'s: equal key and value; the hashes xor-ed.
            ("equals", [other]) => Ok(Value::Bool(match other {
                Value::Object(o) => (o.as_ref() as &dyn std::any::Any)
                    .downcast_ref::<Entry>()
                    .is_some_and(|e| {
                        e.key.java_equals(&self.key) && e.value.java_equals(&self.value)
                    }),
                _ => false,
            })),
            ("hashCode", []) => Ok(Value::Int(
                (hash_code(&self.key)? ^ hash_code(&self.value)?).into(),
            )),
            _ => Err(MethodError::NotFound),
        }
    }
    fn render(&self) -> String {
        format!("{}={}", self.key, self.value)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ViewKind {
    Keys,
    Values,
    Entries,
}

/// What `keySet()`, `values()` and `entrySet()` return: a live view of the
/// map that is a Java `Set`/`Collection`, not a `List`. It iterates and has
/// `size`, `isEmpty`, `contains` and `remove`, but no `get` or `[i]` (those
/// are null, as in Velocity), and it shows later changes to the map.
struct MapView {
    map: Map,
    kind: ViewKind,
}

impl MapView {
    /// The view as a template value.
    fn value(map: &Map, kind: ViewKind) -> Value {
        Value::object(MapView {
            map: map.clone(),
            kind,
        })
    }

    fn items(&self) -> Vec<Value> {
        let map = self.map.borrow();
        match self.kind {
            ViewKind::Keys => map.keys().cloned().collect(),
            ViewKind::Values => map.values().cloned().collect(),
            ViewKind::Entries => map
                .iter()
                .map(|(k, v)| {
                    Value::object(Entry {
                        key: k.clone(),
                        value: v.clone(),
                    })
                })
                .collect(),
        }
    }
}

impl Object for MapView {
    fn type_name(&self) -> &str {
        match self.kind {
            ViewKind::Keys => "LinkedHashMap.KeySet",
            ViewKind::Values => "LinkedHashMap.Values",
            ViewKind::Entries => "LinkedHashMap.EntrySet",
        }
    }
    fn property(&self, name: &str) -> Option<Value> {
        (name == "empty").then(|| Value::Bool(self.map.borrow().is_empty()))
    }
    fn call(&self, method: &str, args: &[Value]) -> MethodResult {
        match (method, args) {
            ("size", []) => Ok(self.map.borrow().len().into()),
            ("isEmpty", []) => Ok(self.map.borrow().is_empty().into()),
            ("toString", []) => Ok(self.render().into()),
            ("contains", [x]) => Ok(Value::Bool(match self.kind {
                ViewKind::Keys => self.map.borrow().contains_key(x),
                ViewKind::Values => self.map.borrow().values().any(|v| v.java_equals(x)),
                ViewKind::Entries => self.items().iter().any(|e| e.to_string() == x.to_string()),
            })),
            ("remove", [x]) if self.kind == ViewKind::Keys => {
                Ok(Value::Bool(self.map.borrow_mut().shift_remove(x).is_some()))
            }
            ("remove", [x]) if self.kind == ViewKind::Values => {
                let mut map = self.map.borrow_mut();
                let found = map.values().position(|v| v.java_equals(x));
                if let Some(i) = found {
                    map.shift_remove_index(i);
                }
                Ok(Value::Bool(found.is_some()))
            }
            ("remove", [x]) => {
                // An entry set removes only an equal `Map.Entry`.
                let entry = match x {
                    Value::Object(o) => (o.as_ref() as &dyn std::any::Any).downcast_ref::<Entry>(),
                    _ => None,
                };
                let mut map = self.map.borrow_mut();
                let found =
                    entry.is_some_and(|e| map.get(&e.key).is_some_and(|v| v.java_equals(&e.value)));
                if let (true, Some(e)) = (found, entry) {
                    map.shift_remove(&e.key);
                }
                Ok(Value::Bool(found))
            }
            ("add" | "addAll", [_]) => Err(failed("UnsupportedOperationException")),
            // A Set's hash sums its items'; `values()` keeps Object's
            // (an identity hash, which no template can rely on).
            ("hashCode", []) if self.kind != ViewKind::Values => {
                let mut h: i32 = 0;
                for (k, v) in self.map.borrow().iter() {
                    let item = match self.kind {
                        ViewKind::Keys => hash_code(k)?,
                        _ => hash_code(k)? ^ hash_code(v)?,
                    };
                    h = h.wrapping_add(item);
                }
                Ok(Value::Int(h.into()))
            }
            _ => Err(MethodError::NotFound),
        }
    }
    fn render(&self) -> String {
        Value::list(self.items()).to_string()
    }
    fn iterate(&self) -> Option<Vec<Value>> {
        Some(self.items())
    }
}

/// Reads item `i` of a map view (or of the map's values).
pub(crate) type ViewItem = fn(&Map, usize) -> Option<Value>;

/// The map behind a `keySet()`, `values()` or `entrySet()` view and how to
/// read its items, for a `#foreach` that iterates it live.
pub(crate) fn map_view(v: &Value) -> Option<(Map, ViewItem)> {
    let Value::Object(o) = v else { return None };
    let view = (o.as_ref() as &dyn std::any::Any).downcast_ref::<MapView>()?;
    let item: ViewItem = match view.kind {
        ViewKind::Keys => |m, i| m.borrow().get_index(i).map(|(k, _)| k.clone()),
        ViewKind::Values => map_value_at,
        ViewKind::Entries => |m, i| {
            m.borrow().get_index(i).map(|(k, v)| {
                Value::object(Entry {
                    key: k.clone(),
                    value: v.clone(),
                })
            })
        },
    };
    Some((view.map.clone(), item))
}

/// Item `i` of a map's values.
pub(crate) fn map_value_at(m: &Map, i: usize) -> Option<Value> {
    m.borrow().get_index(i).map(|(_, v)| v.clone())
}

fn map_method(m: &Map, name: &str, args: &[Value]) -> MethodResult {
    let this = Rc::as_ptr(m) as *const ();
    match (name, args) {
        ("put" | "putIfAbsent", _) => refuse_cycle(this, args)?,
        ("putAll", [Value::Map(other)]) => {
            let other = other.borrow();
            refuse_cycle(this, other.keys().chain(other.values()))?;
        }
        _ => {}
    }
    match (name, args) {
        ("get", [k]) => Ok(m.borrow().get(k).cloned().unwrap_or_default()),
        ("getOrDefault", [k, d]) => Ok(m.borrow().get(k).cloned().unwrap_or_else(|| d.clone())),
        ("put", [k, v]) => Ok(m
            .borrow_mut()
            .insert(k.clone(), v.clone())
            .unwrap_or_default()),
        ("putIfAbsent", [k, v]) => {
            let mut map = m.borrow_mut();
            match map.get(k) {
                Some(existing) if !existing.is_null() => Ok(existing.clone()),
                _ => {
                    map.insert(k.clone(), v.clone());
                    Ok(Value::Null)
                }
            }
        }
        ("containsKey", [k]) => Ok(m.borrow().contains_key(k).into()),
        ("containsValue", [v]) => Ok(m.borrow().values().any(|x| x.java_equals(v)).into()),
        ("keySet", []) => Ok(MapView::value(m, ViewKind::Keys)),
        ("values", []) => Ok(MapView::value(m, ViewKind::Values)),
        ("entrySet", []) => Ok(MapView::value(m, ViewKind::Entries)),
        ("size", []) => Ok(m.borrow().len().into()),
        ("isEmpty", []) => Ok(m.borrow().is_empty().into()),
        // A LinkedHashMap keeps the order of the remaining entries.
        ("remove", [k]) => Ok(m.borrow_mut().shift_remove(k).unwrap_or_default()),
        // Java's `AbstractMap.hashCode`: the sum of `key.hashCode() ^ value.hashCode()`.
        // A map that holds itself (or is nested deeper than a walk may go) throws.
        ("hashCode", []) => {
            let overflow =
                || failed("StackOverflowError: the map contains itself or is nested too deeply");
            let _level = walk::Level::enter().ok_or_else(overflow)?;
            let mut h = 0i32;
            for (k, v) in m.borrow().iter() {
                if !walk::step() {
                    return Err(overflow());
                }
                h = h.wrapping_add(hash_code(k)? ^ hash_code(v)?);
            }
            Ok(Value::Int(h.into()))
        }
        ("putAll", [Value::Map(other)]) => {
            let entries: Vec<_> = other
                .borrow()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            m.borrow_mut().extend(entries);
            void()
        }
        ("clear", []) => {
            m.borrow_mut().clear();
            void()
        }
        _ => Err(MethodError::NotFound),
    }
}

/// The values an object of ours holds (for `walk::holds`): a map view
/// holds its map, an entry its key and value, a `$foreach` its parent.
/// A host's objects are opaque.
pub(super) fn values_held_by(o: &dyn Object) -> Vec<Value> {
    let any = o as &dyn std::any::Any;
    if let Some(view) = any.downcast_ref::<MapView>() {
        vec![Value::Map(view.map.clone())]
    } else if let Some(entry) = any.downcast_ref::<Entry>() {
        vec![entry.key.clone(), entry.value.clone()]
    } else if let Some(scope) = any.downcast_ref::<crate::render::ForeachScope>() {
        vec![scope.parent.clone()]
    } else {
        Vec::new()
    }
}

/// Refuses to put `items` into the list or map `target` when one of them
/// is or holds it: reference counting cannot free such a cycle (see
/// `walk::holds`). Java allows it (`$l.add($l)` prints `[(this Collection)]`);
/// here it throws.
fn refuse_cycle<'v>(
    target: *const (),
    items: impl IntoIterator<Item = &'v Value>,
) -> Result<(), MethodError> {
    if items.into_iter().any(|v| walk::holds(v, target)) {
        return Err(failed(
            "IllegalArgumentException: a list or map cannot hold itself here (it would never be freed)",
        ));
    }
    Ok(())
}

// ----- numbers --------------------------------------------------------

fn number_method(n: &Value, name: &str, args: &[Value]) -> MethodResult {
    // Java's narrowing: a long wraps to an int (`(int) 3000000000L` is
    // -1294967296) while a double saturates (`(int) 1e10` is 2147483647);
    // short and byte are cut from the int. Rust's `as` does the same.
    let (i, int, f) = match n {
        Value::Int(i) => (*i, *i as i32, *i as f64),
        Value::Float(f) => (*f as i64, *f as i32, *f),
        _ => return Err(MethodError::NotFound),
    };
    match (name, args) {
        ("intValue", []) => Ok(Value::Int(i64::from(int))),
        ("longValue", []) => Ok(Value::Int(i)),
        ("shortValue", []) => Ok(Value::Int(i64::from(int as i16))),
        ("byteValue", []) => Ok(Value::Int(i64::from(int as i8))),
        ("doubleValue", []) => Ok(Value::Float(f)),
        ("floatValue", []) => Ok(Value::Float(f64::from(f as f32))),
        ("isNaN", []) => Ok(Value::Bool(f.is_nan())),
        ("isInfinite", []) => Ok(Value::Bool(f.is_infinite())),
        ("hashCode", []) => Ok(Value::Int(match n {
            Value::Int(i) if i32::try_from(*i).is_ok() => *i,
            Value::Int(i) => i64::from((*i ^ (*i >> 32)) as i32),
            _ => {
                let bits = f.to_bits();
                i64::from((bits ^ (bits >> 32)) as i32)
            }
        })),
        // `Comparable<T>.compareTo` takes the same class: Integer with a
        // Long (or a String) throws ClassCastException through the bridge
        // method Velocity finds.
        ("compareTo", [o]) if o.type_name() == n.type_name() => super::compare_numbers(n, o)
            .map(|ord| Value::Int(ord as i64))
            .ok_or(MethodError::NotFound),
        ("compareTo", [o]) => Err(failed(format!(
            "ClassCastException: {} cannot be cast to {}",
            o.type_name(),
            n.type_name()
        ))),
        _ => Err(MethodError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(target: &str, name: &str, args: &[Value]) -> Value {
        call_method(&Value::from(target), name, args).unwrap()
    }

    #[test]
    fn utf16_indices() {
        // '😀' is two UTF-16 units, as in Java.
        assert_eq!(call("a😀b", "length", &[]).to_string(), "4");
        assert_eq!(call("a😀b", "indexOf", &["b".into()]).to_string(), "3");
        assert_eq!(call("a😀b", "substring", &[Value::Int(3)]).to_string(), "b");
        assert_eq!(call("héllo", "lastIndexOf", &["l".into()]).to_string(), "3");
    }

    #[test]
    fn split_like_java() {
        assert_eq!(
            call("a,b,,c,,", "split", &[",".into()]).to_string(),
            "[a, b, , c]"
        );
        assert_eq!(
            call("a,b,c", "split", &[",".into(), Value::Int(2)]).to_string(),
            "[a, b,c]"
        );
        assert_eq!(call("abc", "split", &["".into()]).to_string(), "[a, b, c]");
        assert_eq!(call("", "split", &[",".into()]).to_string(), "[]");
        // Empty matches right after a match count, as in Java.
        assert_eq!(call("aab", "split", &["a*".into()]).to_string(), "[, , b]");
    }

    #[test]
    fn hash_code_like_java() {
        assert_eq!(call("hello", "hashCode", &[]).to_string(), "99162322");
    }

    #[test]
    fn substring_out_of_range_throws() {
        let r = call_method(&Value::from("abc"), "substring", &[Value::Int(5)]);
        assert!(matches!(r, Err(MethodError::Failed(_))));
    }

    #[test]
    fn replace_literal_agrees_with_str_replace() {
        let cases = [
            ("O\\'Brien", "\\'", "'"),
            ("aaa", "aa", "b"),
            ("abcabc", "c", ""),
            ("no match", "xyz", "-"),
            ("é/é/é", "/", "→"),
            ("ab", "abc", "x"),
            ("", "a", "b"),
        ];
        for (s, from, to) in cases {
            let expected = s.contains(from).then(|| s.replace(from, to));
            assert_eq!(
                replace_literal(s, from, to),
                expected,
                "{s:?}.replace({from:?}, {to:?})"
            );
        }
        // Nothing replaced: the very same string comes back.
        let original = Value::from("plain");
        let replaced = call_method(&original, "replace", &["\\'".into(), "'".into()]);
        let (Ok(Value::String(out)), Value::String(original)) = (&replaced, &original) else {
            panic!("replace returns a string");
        };
        assert!(Arc::ptr_eq(out, original));
    }

    /// Velocity 1.7's property set on an object: `setName(x)` if it has
    /// one, else `put("name", x)` with the name as written (UberspectImpl:
    /// SetPropertyExecutor, then PutExecutor).
    #[test]
    fn setting_a_property_of_an_object_tries_the_setter_then_put() {
        use std::cell::RefCell;
        #[derive(Default)]
        struct Recorder(RefCell<Vec<String>>);
        impl Object for Recorder {
            fn type_name(&self) -> &str {
                "Recorder"
            }
            fn call(&self, method: &str, args: &[Value]) -> MethodResult {
                let args: Vec<String> = args.iter().map(Value::to_string).collect();
                match method {
                    "setKnown" | "put" | "set" => {
                        self.0
                            .borrow_mut()
                            .push(format!("{method}({})", args.join(", ")));
                        Ok(Value::Null)
                    }
                    _ => Err(MethodError::NotFound),
                }
            }
        }
        let object = Value::object(Recorder::default());
        set_property(&object, "known", Value::Int(1)).unwrap();
        set_property(&object, "X-Header", Value::Int(2)).unwrap();
        set_index(&object, &Value::from("k"), Value::Int(3)).unwrap();
        let Value::Object(o) = &object else {
            unreachable!()
        };
        let recorder = (o.as_ref() as &dyn std::any::Any)
            .downcast_ref::<Recorder>()
            .unwrap();
        assert_eq!(
            *recorder.0.borrow(),
            ["setKnown(1)", "put(X-Header, 2)", "set(k, 3)"]
        );
    }
}
