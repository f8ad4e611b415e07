//! A seeded generator of VTL templates, composed from the language's
//! constructs: text and whitespace, references (all four forms, with
//! properties, methods and indexes), escapes, comments, `#set`, `#if`,
//! `#foreach` (with `$foreach`, `#break`, nesting), `#stop`, `#define`,
//! `#macro` and its calls, `#evaluate`, unparsed blocks, literals of every
//! kind and the operators across types.
//!
//! The generator knows the types of the context's variables
//! ([`CONTEXT_JSON`]) so that most method calls are ones the receiver has;
//! mismatches still occur on purpose (and through `#set`), since Velocity
//! renders an unknown method as the reference's source text.
//!
//! It deliberately does not produce the constructs listed in
//! `tests/differential_known_divergences.txt` (each entry says why).

use fastrand::Rng;

/// The context every generated case renders against.
pub const CONTEXT_JSON: &str = r#"{
  "s": "hello",
  "e": "",
  "sp": "  padded\t ",
  "q": "say \"hi\", it's",
  "bs": "back\\slash \\n",
  "u": "héllo wörld ☃",
  "emoji": "a😀b",
  "num": "42",
  "csv": "a,b,,c,,",
  "i": 7,
  "z": 0,
  "neg": -3,
  "big": 2147483647,
  "lng": 3000000000,
  "d": 2.5,
  "dz": 0.0,
  "dn": -0.75,
  "dbig": 1.0e10,
  "t": true,
  "f": false,
  "n": null,
  "list": [1, 2, 3],
  "slist": ["b", "a", "c"],
  "mixed": [1, "two", 3.5, true, null, [4, 5], {"k": "v"}],
  "empty": [],
  "nested": [[1, 2], [3, [4, 5]]],
  "map": {"a": 1, "b": "two", "c": [1, 2], "d": {"x": "y"}, "n": null, "dash-key": "dk"},
  "emap": {},
  "obj": {"name": "Ada", "age": 36, "tags": ["x", "y"], "address": {"city": "London", "zip": "N1"}, "blank": "", "flag": false},
  "dash-name": "dashed"
}"#;

/// What the generator knows about a value's Java type.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ty {
    Str,
    Int,
    Dbl,
    Bool,
    Null,
    List,
    Map,
    /// A `Map.Entry` (from `entrySet()`).
    Entry,
    /// A Java array (from `split`): it must not be rendered, since Java
    /// prints its identity hash.
    Array,
    Any,
}

use Ty::*;

const CONTEXT_VARS: &[(&str, Ty)] = &[
    ("s", Str),
    ("e", Str),
    ("sp", Str),
    ("q", Str),
    ("bs", Str),
    ("u", Str),
    ("emoji", Str),
    ("num", Str),
    ("csv", Str),
    ("dash-name", Str),
    ("i", Int),
    ("z", Int),
    ("neg", Int),
    ("big", Int),
    ("lng", Int),
    ("d", Dbl),
    ("dz", Dbl),
    ("dn", Dbl),
    ("dbig", Dbl),
    ("t", Bool),
    ("f", Bool),
    ("n", Null),
    ("nope", Null),
    ("list", List),
    ("slist", List),
    ("mixed", List),
    ("empty", List),
    ("nested", List),
    ("map", Map),
    ("emap", Map),
    ("obj", Map),
];

/// Names `#set` assigns (one has a hyphen: identifiers may contain `-`).
const SET_NAMES: &[&str] = &["x", "y", "acc", "res", "tmp-1"];
const LOOP_VARS: &[&str] = &["it", "jt", "kt"];
const MACRO_NAMES: &[&str] = &["mA", "mB", "mC", "mD"];
const PARAM_NAMES: &[&str] = &["p", "q2", "r"];

struct MacroSig {
    name: &'static str,
    params: usize,
}

/// Appends a segment, with a blank between a reference ending in a
/// property (`$a.b`, `$a.b[0]`) and a `$` that would follow it (Velocity's
/// lexer keeps such a reference's state under the next one), or between
/// `$a.b(` and a `#`: known divergences (see the list).
fn join(out: &mut String, segment: &str) {
    let property_call = out.strip_suffix('(').is_some_and(ends_in_property);
    // What keeps the lexer in the reference's state: another reference
    // (escaped too), a block comment, an unparsed block.
    let continues = ["$", "\\", "#*", "#[["]
        .iter()
        .any(|p| segment.starts_with(p));
    let glued_dollars =
        out.ends_with('\\') && (segment.starts_with("$$") || segment.starts_with("$!$"));
    if (continues && ends_in_property(out))
        || (segment.starts_with('#') && property_call)
        || glued_dollars
    {
        out.push(' ');
    }
    // So does a `#set`, even after blanks (they go with it).
    let set = segment.trim_start_matches([' ', '\t']);
    if ends_in_property(out) && (set.starts_with("#set") || set.starts_with("#{set}")) {
        out.push(';');
    }
    out.push_str(segment);
}

/// Whether `s` ends with `.name`, possibly followed by indexes.
fn ends_in_property(s: &str) -> bool {
    let mut rest = s;
    while let Some(r) = rest.strip_suffix(']') {
        match r.rfind('[') {
            Some(i) => rest = &r[..i],
            None => return false,
        }
    }
    let name = rest.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    name.len() < rest.len() && name.ends_with('.')
}

/// How large a numeric operand can be, and whether it is a double;
/// `None` for a string or null (arithmetic with those yields null or a
/// string, never a large number).
fn number_bound(operand: &str) -> Option<(f64, bool)> {
    match operand {
        "$i" => Some((7.0, false)),
        "$z" => Some((0.0, false)),
        "$neg" => Some((3.0, false)),
        "$big" => Some((2147483647.0, false)),
        "$lng" => Some((3e9, false)),
        "$list.size()" => Some((10.0, false)),
        "$d" => Some((2.5, true)),
        "$dz" => Some((0.0, true)),
        "$dn" => Some((0.75, true)),
        "$dbig" => Some((1e10, true)),
        o => {
            let double = o.contains(['.', 'e', 'E']);
            o.parse::<f64>().ok().map(|v| (v.abs(), double))
        }
    }
}

/// Whether a value written in a template refers to a variable that may
/// hold one of the context's lists or maps (a root, a `#set` variable, a
/// loop variable or a macro parameter).
fn mentions_container(value: &str) -> bool {
    let names = [
        "map", "list", "obj", "emap", "x", "y", "acc", "res", "tmp-1", "it", "jt", "kt", "p", "q2",
        "r",
    ];
    ["$", "$!", "${", "$!{"].iter().any(|prefix| {
        names.iter().any(|name| {
            let pattern = format!("{prefix}{name}");
            value.match_indices(&pattern).any(|(i, _)| {
                let next = value[i + pattern.len()..].chars().next();
                !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            })
        })
    })
}

/// One template generator; each case gets its own, seeded from the run's
/// seed and the case's index so that any case can be regenerated alone.
pub struct Generator {
    rng: Rng,
    nl: &'static str,
    depth: usize,
    /// Variables `#set` so far, with the type of their last value.
    vars: Vec<(&'static str, Ty)>,
    /// Loop variables in scope (innermost last) and their item types.
    loops: Vec<(&'static str, Ty)>,
    macros: Vec<MacroSig>,
    /// Parameters of the macro whose body is being generated.
    params: Vec<&'static str>,
    in_macro: bool,
    defines: Vec<String>,
    in_define: bool,
}

/// Generates the template of case `index` of the run seeded with `seed`.
pub fn generate(seed: u64, index: u64) -> String {
    let mixed = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(index.wrapping_mul(0xD1B5_4A32_D192_ED03));
    let mut g = Generator {
        rng: Rng::with_seed(mixed),
        nl: "\n",
        depth: 0,
        vars: Vec::new(),
        loops: Vec::new(),
        macros: Vec::new(),
        params: Vec::new(),
        in_macro: false,
        defines: Vec::new(),
        in_define: false,
    };
    if g.chance(15) {
        g.nl = "\r\n";
    }
    g.template()
}

impl Generator {
    fn chance(&mut self, percent: u32) -> bool {
        self.rng.u32(0..100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.usize(0..items.len())]
    }

    /// Picks an index by weight.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut r = self.rng.u32(0..total.max(1));
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }

    fn template(&mut self) -> String {
        let mut out = String::new();
        let n = self.rng.usize(1..=8);
        for _ in 0..n {
            let segment = self.segment();
            join(&mut out, &segment);
        }
        out
    }

    /// A sequence of segments: the body of a block.
    fn body(&mut self) -> String {
        self.depth += 1;
        let n = self.rng.usize(1..=if self.depth > 2 { 2 } else { 4 });
        let mut out = String::new();
        for _ in 0..n {
            let segment = self.segment();
            join(&mut out, &segment);
        }
        self.depth -= 1;
        out
    }

    fn segment(&mut self) -> String {
        let deep = self.depth >= 3;
        let weights = [
            22,                                                // text
            24,                                                // reference
            10,                                                // #set
            if deep { 1 } else { 8 },                          // #if
            if deep || self.loops.len() >= 2 { 0 } else { 6 }, // #foreach
            4,                                                 // comment
            5,                                                 // escape
            if self.in_macro || self.in_define || deep {
                0
            } else {
                3
            }, // #macro + call
            if self.macros.is_empty() { 0 } else { 4 },        // macro call
            if self.in_define || deep { 0 } else { 2 },        // #define
            2,                                                 // unparsed
            1,                                                 // #stop
            if self.loops.is_empty() { 0 } else { 4 },         // #break
            1,                                                 // #evaluate
            3,                                                 // stray $ # \
            if self.loops.is_empty() { 0 } else { 10 },        // loop references
            if self.params.is_empty() { 0 } else { 6 },        // macro parameters
            if self.defines.is_empty() { 0 } else { 3 },       // defined blocks
            1,                                                 // a call that throws
        ];
        match self.weighted(&weights) {
            0 => self.text(),
            1 => self.text_reference(),
            2 => self.set(),
            3 => self.if_directive(),
            4 => self.foreach(),
            5 => self.comment(),
            6 => self.escape(),
            7 => self.macro_definition(),
            8 => self.macro_call(),
            9 => self.define(),
            10 => self.unparsed(),
            11 => self.stop(),
            12 => self.break_directive(),
            13 => self.evaluate(),
            14 => self.stray(),
            15 => self.loop_reference(),
            16 => self.param_reference(),
            17 => self.defined_reference(),
            _ => self.throwing_call(),
        }
    }

    // ----- text and whitespace -----------------------------------------

    fn text(&mut self) -> String {
        const PIECES: &[&str] = &[
            "hello",
            "a",
            " ",
            "  ",
            "\t",
            "x y",
            "{",
            "}",
            // Not `(`: right after `$a.b` it would open a call, or leave
            // the lexer in one (a known divergence).
            " (",
            ")",
            "[",
            "]",
            ",",
            ":",
            ";",
            "=",
            "\"",
            "'",
            ".",
            "-",
            "!",
            "@",
            "%",
            "*",
            "1",
            "é",
            "☃",
            "foo bar",
            "a.b",
            "{\"k\": 1}",
        ];
        let mut out = String::new();
        for _ in 0..self.rng.usize(1..=3) {
            match self.rng.u32(0..10) {
                0..=1 => out.push_str(self.nl),
                2 => {
                    out.push_str(self.nl);
                    out.push_str(self.indent());
                }
                3 => {
                    out.push_str(self.nl);
                    out.push_str(self.nl);
                }
                _ => out.push_str(self.pick(PIECES)),
            }
        }
        out
    }

    fn indent(&mut self) -> &'static str {
        self.pick(&["", "  ", "    ", "\t", " "])
    }

    /// What follows a directive: nothing, blanks, a newline, blanks and a
    /// newline, text.
    fn after_directive(&mut self) -> String {
        match self.rng.u32(0..8) {
            0 | 1 => String::new(),
            2 | 3 => self.nl.to_string(),
            4 => format!("  {}", self.nl),
            5 => format!("\t{}", self.nl),
            6 => " ".to_string(),
            // Not a letter: `#end` + `text` would be the directive `#endtext`.
            _ => "-text".to_string(),
        }
    }

    /// A directive line: optional indentation, the directive, then what
    /// follows it.
    fn line(&mut self, directive: String) -> String {
        let indent = if self.chance(30) { self.indent() } else { "" };
        let before = if self.chance(25) { self.nl } else { "" };
        let after = self.after_directive();
        format!("{before}{indent}{directive}{after}")
    }

    /// A `$`, `#` or `\\` that starts nothing. None ends in a bare `$` or `#`:
    /// one right before `#`, `\\` or `{$` is a known divergence (see the
    /// list).
    fn stray(&mut self) -> String {
        self.pick(&[
            "$ ", "$ x", "$-", "# ", "# x", "#-", "\\x", "$$ ", "$$-", "##\n", "#{ ", "#{x", "${ ",
            "${ s }", "$1", "#1 ", "#1x", "a#b", "$. ", "$.x", "$-x", "#@ ", "#@x", "#(", "$[ ",
            "$[x", "$!{}", "${}", "$! ", "$!-",
        ])
        .to_string()
    }

    fn comment(&mut self) -> String {
        let nl = self.nl;
        match self.rng.u32(0..8) {
            0 => format!("## a comment{nl}"),
            1 => format!("##{nl}"),
            // Never without its newline: a `##` comment would swallow a
            // `#macro` after it and leave block calls of an undefined macro,
            // which Velocity writes from its tokens (a known divergence).
            2 => format!("## $s #if( #end{nl}"),
            3 => "#* block *#".to_string(),
            4 => "#** doc $s *#".to_string(),
            5 => format!("#* multi{nl}line *#"),
            6 => format!("  ## indented $nope #if{nl}"),
            _ => format!("#*{nl}*#{nl}"),
        }
    }

    fn escape(&mut self) -> String {
        let nl = self.nl;
        match self.rng.u32(0..24) {
            0 => "\\$s".into(),
            1 => "\\\\$s".into(),
            2 => "\\\\\\$s".into(),
            3 => "\\$nope".into(),
            4 => "\\\\$nope".into(),
            5 => "\\$!s".into(),
            6 => "\\${s}".into(),
            7 => "\\#if".into(),
            8 => "\\#set".into(),
            9 => "\\#end".into(),
            10 => "\\#foreach($a in $b)".into(),
            11 => "\\#else".into(),
            12 => "\\\\".into(),
            13 => "a\\b".into(),
            14 => format!("\\#if($t)yes\\#end{nl}"),
            15 => format!("\\\\#if($t)yes#end{nl}"),
            16 => "\\#{if}".into(),
            17 => "\\#stop".into(),
            18 => "\\$s.length()".into(),
            19 => "\\\\\\\\$nope".into(),
            20 => "\\#nosuch".into(),
            21 => "\\#set($x = 1)$x".into(),
            22 => match self.macros.first() {
                Some(m) => format!("\\#{}()", m.name),
                None => "\\#mA()".into(),
            },
            _ => "\\$!{nope}".into(),
        }
    }

    fn unparsed(&mut self) -> String {
        let nl = self.nl;
        let inner = self.pick(&[
            " $s #if($t) ",
            "",
            "## not a comment",
            "#end",
            "\\$x ${y}",
            "#set($x = 1)",
        ]);
        let before = if self.chance(30) { nl } else { "" };
        let after = if self.chance(30) { nl } else { "" };
        format!("{before}#[[{inner}]]#{after}")
    }

    // ----- references --------------------------------------------------

    /// A root name and its type: the context, `#set` variables, loop
    /// variables, macro parameters.
    fn root(&mut self) -> (String, Ty) {
        let r = self.rng.u32(0..10);
        if r < 2 && !self.vars.is_empty() {
            let (n, t) = self.pick(&self.vars.clone());
            return (n.to_string(), t);
        }
        if r < 4 && !self.loops.is_empty() {
            let (n, t) = self.pick(&self.loops.clone());
            return (n.to_string(), t);
        }
        if r < 5 && !self.params.is_empty() {
            return (self.pick(&self.params.clone()).to_string(), Any);
        }
        let (n, t) = self.pick(CONTEXT_VARS);
        (n.to_string(), t)
    }

    /// `$a`, `${a}`, `$!a`, `$!{a}` around a root and its accessors.
    fn wrap_reference(&mut self, body: &str) -> String {
        match self.rng.u32(0..10) {
            0..=4 => format!("${body}"),
            5 | 6 => format!("${{{body}}}"),
            7 | 8 => format!("$!{body}"),
            _ => format!("$!{{{body}}}"),
        }
    }

    /// A reference written in text.
    fn text_reference(&mut self) -> String {
        let (root, ty) = self.root();
        let n = self.rng.usize(0..=2);
        let (path, ty) = self.accessors(ty, n);
        let body = format!("{root}{path}");
        let mut r = self.wrap_reference(&body);
        if ty == Array {
            // Never render a Java array itself (identity hash).
            r = format!("${{{body}.size()}}");
        }
        r
    }

    /// A reference used as a value in an expression.
    fn value_reference(&mut self) -> (String, Ty) {
        let (root, ty) = self.root();
        let n = self.rng.usize(0..=1);
        let (mut path, mut ty) = self.accessors(ty, n);
        if ty == Array {
            // An array goes nowhere it could be rendered (see the list).
            path.push_str(".size()");
            ty = Int;
        }
        let r = if self.chance(15) {
            format!("$!{root}{path}")
        } else if self.chance(10) {
            format!("${{{root}{path}}}")
        } else {
            format!("${root}{path}")
        };
        (r, ty)
    }

    /// Up to `n` accessors for a value of type `ty`.
    fn accessors(&mut self, mut ty: Ty, n: usize) -> (String, Ty) {
        let mut out = String::new();
        for _ in 0..n {
            let (a, next) = self.accessor(ty);
            out.push_str(&a);
            ty = next;
        }
        (out, ty)
    }

    fn accessor(&mut self, ty: Ty) -> (String, Ty) {
        let (a, t): (&str, Ty) = match ty {
            Str => self.pick(&[
                (".length()", Int),
                (".substring(1)", Str),
                (".substring(1, 3)", Str),
                (".indexOf('l')", Int),
                (".indexOf(\"l\", 3)", Int),
                (".lastIndexOf('l')", Int),
                (".lastIndexOf('o', 2)", Int),
                (".replace('l', 'L')", Str),
                (".replace(\"\", \"-\")", Str),
                (".replaceAll('[aeiou]', '_')", Str),
                (".replaceAll('(l+)', '<$1>')", Str),
                (".replaceFirst('\\w', 'X')", Str),
                (".split(',')", Array),
                (".split('l')", Array),
                (".matches('h.*o')", Bool),
                (".matches('[a-z]+')", Bool),
                (".contains('ll')", Bool),
                (".contains($e)", Bool),
                (".startsWith('he')", Bool),
                (".endsWith('lo')", Bool),
                (".toLowerCase()", Str),
                (".toUpperCase()", Str),
                (".trim()", Str),
                (".isEmpty()", Bool),
                (".empty", Bool),
                (".equals('hello')", Bool),
                (".equals($s)", Bool),
                (".equalsIgnoreCase('HELLO')", Bool),
                (".charAt(1)", Str),
                (".concat('!')", Str),
                (".concat($i)", Null),
                (".toString()", Str),
                (".hashCode()", Int),
                (".length", Null),
                (".nosuch()", Null),
            ]),
            Int => self.pick(&[
                (".toString()", Str),
                (".hashCode()", Int),
                (".intValue()", Int),
                (".doubleValue()", Dbl),
                (".compareTo(5)", Int),
                (".equals(7)", Bool),
                (".equals('7')", Bool),
                (".length()", Null),
            ]),
            Dbl => self.pick(&[
                (".intValue()", Int),
                // A Long: Integer and Long are one type here (see the list).
                (".longValue()", Any),
                (".toString()", Str),
                (".isNaN()", Bool),
                (".equals(2.5)", Bool),
            ]),
            Bool => self.pick(&[
                (".toString()", Str),
                (".booleanValue()", Bool),
                (".equals(true)", Bool),
                (".hashCode()", Int),
            ]),
            List => self.pick(&[
                (".size()", Int),
                (".get(0)", Any),
                (".get(1)", Any),
                (".add('z')", Bool),
                (".add(0, 'first')", Null),
                (".set(0, 'q')", Any),
                (".remove(0)", Any),
                (".remove('a')", Bool),
                (".contains(2)", Bool),
                (".contains('a')", Bool),
                (".isEmpty()", Bool),
                (".empty", Bool),
                (".indexOf(2)", Int),
                (".indexOf('c')", Int),
                // A view of the list: not changed through (see the list).
                (".subList(0, 2)", Any),
                (".subList(1, 1)", Any),
                ("[0]", Any),
                ("[1]", Any),
                ("[-1]", Any),
                ("[$z]", Any),
                (".toString()", Str),
                (".first", Null),
            ]),
            Map => self.pick(&[
                (".get('a')", Any),
                (".get('zz')", Null),
                (".put('k', 'v')", Null),
                (".put('a', 99)", Any),
                (".put('b', $nope)", Any),
                (".containsKey('a')", Bool),
                (".containsKey('n')", Bool),
                (".keySet()", List),
                (".values()", List),
                (".entrySet()", List),
                (".size()", Int),
                (".isEmpty()", Bool),
                (".empty", Bool),
                (".remove('b')", Any),
                (".putAll({'z': 26})", Null),
                ("['a']", Any),
                ("[\"b\"]", Any),
                (".a", Any),
                (".b", Any),
                (".c", List),
                (".d", Map),
                (".d.x", Str),
                (".c[1]", Int),
                (".dash-key", Str),
                (".missing", Null),
                (".name", Str),
                (".address", Map),
                (".address.city", Str),
                (".tags", List),
                (".tags[0]", Str),
            ]),
            Entry => self.pick(&[
                (".key", Str),
                (".value", Any),
                (".getKey()", Str),
                (".getValue()", Any),
            ]),
            Array => self.pick(&[
                (".size()", Int),
                ("[0]", Str),
                ("[1]", Str),
                (".get(0)", Str),
            ]),
            Null | Any => self.pick(&[
                (".size()", Int),
                (".length()", Int),
                (".toString()", Str),
                ("[0]", Any),
                (".a", Any),
                (".key", Any),
                (".get(0)", Any),
                (".x", Any),
            ]),
        };
        (a.to_string(), t)
    }

    /// A method that throws: the whole render fails (in both engines).
    fn throwing_call(&mut self) -> String {
        if self.chance(75) {
            return self.text();
        }
        self.pick(&[
            "$s.substring(0, 99)",
            "$s.charAt(99)",
            "$list.get(9)",
            "$empty[0]",
            "$slist.set(5, 1)",
        ])
        .to_string()
    }

    fn loop_reference(&mut self) -> String {
        let nested = self.loops.len() > 1;
        let (var, ty) = *self.loops.last().expect("inside a loop");
        match self.rng.u32(0..14) {
            0 => "$foreach.index".into(),
            1 => "$foreach.count".into(),
            2 => "$foreach.hasNext".into(),
            3 => "$foreach.first".into(),
            4 => "$foreach.last".into(),
            5 => "$velocityCount".into(),
            6 => "$velocityHasNext".into(),
            7 => "#if($foreach.hasNext), #end".into(),
            8 if nested => "$foreach.parent.count".into(),
            8 => "${foreach.index}".into(),
            9 => "$!{foreach.count}".into(),
            10 => {
                let (path, t) = self.accessors(ty, 1);
                if t == Array {
                    format!("${var}{path}.size()")
                } else {
                    format!("${var}{path}")
                }
            }
            11 if nested => {
                let (outer, _) = self.loops[self.loops.len() - 2];
                format!("${outer}")
            }
            12 => "$foreach.hasNext()".into(),
            _ => format!("${var}"),
        }
    }

    fn param_reference(&mut self) -> String {
        let p = self.pick(&self.params.clone());
        match self.rng.u32(0..8) {
            0 => format!("$!{p}"),
            1 => format!("${{{p}}}"),
            2 => format!("${p}.size()"),
            3 => format!("${p}.toString()"),
            4 => "$!bodyContent".into(),
            _ => format!("${p}"),
        }
    }

    fn defined_reference(&mut self) -> String {
        let d = self.defines[self.rng.usize(0..self.defines.len())].clone();
        match self.rng.u32(0..3) {
            0 => format!("${d}"),
            1 => format!("$!{{{d}}}"),
            _ => format!("${d}.toString()"),
        }
    }

    // ----- expressions -------------------------------------------------

    fn int_literal(&mut self) -> &'static str {
        self.pick(&[
            "0",
            "1",
            "2",
            "3",
            "7",
            "10",
            "-1",
            "-5",
            "2147483647",
            "100000000000",
        ])
    }

    fn double_literal(&mut self) -> &'static str {
        self.pick(&[
            "0.5", "1.5", "-2.25", "3.0", "0.1", "1.5e3", "2.0E-5", "100.0",
        ])
    }

    fn string_literal(&mut self) -> String {
        match self.rng.u32(0..20) {
            0 => "'abc'".into(),
            1 => "''".into(),
            2 => "\"\"".into(),
            3 => "'with $s'".into(),
            4 => "\"plain\"".into(),
            5 => "\"hi $s\"".into(),
            6 => "\"${i}x\"".into(),
            7 => "\"$!nope!\"".into(),
            8 => "\"$nope\"".into(),
            9 => "\"#if($t)y#{else}n#end\"".into(),
            10 => "\"quote\"\"d\"".into(),
            11 => "'it''s'".into(),
            12 => "\"back\\slash\"".into(),
            13 => "'7'".into(),
            14 => "\"true\"".into(),
            15 => "\"a#set($x = 5)b\"".into(),
            16 => "\"$s.toUpperCase() and $list[0]\"".into(),
            17 => "\"#foreach($c in [1..3])$c#end\"".into(),
            18 => "'é☃'".into(),
            _ => "\"\\u0041\"".into(),
        }
    }

    fn number_operand(&mut self) -> String {
        match self.rng.u32(0..18) {
            0..=3 => self.int_literal().into(),
            4 | 5 => self.double_literal().into(),
            6 => "$i".into(),
            7 => "$d".into(),
            8 => "$z".into(),
            9 => "$neg".into(),
            10 => "$big".into(),
            11 => "$lng".into(),
            12 => "$dz".into(),
            13 => "$n".into(),
            14 => "$num".into(),
            15 => "$list.size()".into(),
            16 => "$s".into(),
            _ => "$dn".into(),
        }
    }

    fn arithmetic(&mut self, depth: usize) -> String {
        self.bounded_arithmetic(depth).0
    }

    /// An arithmetic expression and, when it is a number, a bound on its
    /// size and whether it is a double. A product that could leave Java's
    /// `long` (and become a BigInteger) or make a double of 15 digits or
    /// more (printed with needless digits by JDK 17) is made a sum instead:
    /// both are known divergences.
    fn bounded_arithmetic(&mut self, depth: usize) -> (String, Option<(f64, bool)>) {
        let mut op = self.pick(&["+", "-", "*", "/", "%", "+", "/"]);
        let (l, lb) = if depth < 2 && self.chance(25) {
            let (e, b) = self.bounded_arithmetic(depth + 1);
            (format!("({e})"), b)
        } else {
            let o = self.number_operand();
            let b = number_bound(&o);
            (o, b)
        };
        let (r, rb) = if depth < 2 && self.chance(20) {
            let (e, b) = self.bounded_arithmetic(depth + 1);
            (format!("({e})"), b)
        } else {
            let o = self.number_operand();
            let b = number_bound(&o);
            (o, b)
        };
        let bound = match (lb, rb) {
            (Some((a, da)), Some((b, db))) => {
                let double = da || db;
                // Dividing by the smallest double literal (2.0E-5) grows.
                let grown = match op {
                    "*" => a * b,
                    "/" if double => a * 1e5,
                    "+" | "-" => a + b,
                    _ => a,
                };
                let limit = if double { 1e14 } else { 9e18 };
                if grown >= limit {
                    op = "+";
                    Some((a + b, double))
                } else {
                    Some((grown, double))
                }
            }
            _ => None,
        };
        let e = if self.chance(10) && !r.starts_with('-') {
            format!("{l}{op}{r}")
        } else {
            format!("{l} {op} {r}")
        };
        (e, bound)
    }

    /// Anything that can be compared: numbers, strings, booleans, nulls,
    /// references of every type.
    fn operand(&mut self) -> String {
        match self.rng.u32(0..12) {
            0..=2 => self.number_operand(),
            3 | 4 => self.string_literal(),
            5 => self.pick(&["true", "false"]).into(),
            6 | 7 => self.value_reference().0,
            8 => "$nope".into(),
            9 => self.pick(&["$t", "$f", "$e", "$s", "$n"]).into(),
            10 => self.pick(&["[1, 2]", "[]", "{'a': 1}"]).into(),
            _ => format!("({})", self.arithmetic(1)),
        }
    }

    fn comparison(&mut self) -> String {
        let op = self.pick(&[
            "==", "!=", "<", ">", "<=", ">=", "eq", "ne", "lt", "gt", "le", "ge", "==",
        ]);
        let (l, r) = (self.operand(), self.operand());
        if op.len() == 2 && op.chars().all(|c| c.is_ascii_alphabetic()) || self.chance(85) {
            format!("{l} {op} {r}")
        } else {
            format!("{l}{op}{r}")
        }
    }

    /// A condition for `#if`/`#elseif`.
    fn condition(&mut self, depth: usize) -> String {
        let choice = if depth >= 2 {
            self.rng.u32(0..6)
        } else {
            self.rng.u32(0..12)
        };
        match choice {
            0 | 1 => self.value_reference().0,
            2 | 3 => self.comparison(),
            4 => self
                .pick(&[
                    "true", "false", "$t", "$f", "$n", "$e", "$z", "$empty", "$emap",
                ])
                .into(),
            5 => self
                .pick(&[
                    "\"\"", "0", "[]", "\"x\"", "1", "{}", "'false'", "$i + 1", "[1]", "0.0",
                ])
                .into(),
            6 => {
                let op = self.pick(&["&&", "||", "and", "or"]);
                format!(
                    "{} {op} {}",
                    self.condition(depth + 1),
                    self.condition(depth + 1)
                )
            }
            7 => format!("!{}", self.condition(depth + 1)),
            8 => format!("not {}", self.condition(depth + 1)),
            9 => format!("({})", self.condition(depth + 1)),
            10 => format!("!({})", self.comparison()),
            _ => self.comparison(),
        }
    }

    /// A value for `#set`, method arguments and literals' items.
    fn value(&mut self, depth: usize) -> (String, Ty) {
        let choice = if depth >= 2 {
            self.rng.u32(0..8)
        } else {
            self.rng.u32(0..16)
        };
        match choice {
            0 | 1 => (self.int_literal().into(), Int),
            2 => (self.double_literal().into(), Dbl),
            3 | 4 => (self.string_literal(), Str),
            5 => (self.pick(&["true", "false"]).into(), Bool),
            6 | 7 => self.value_reference(),
            8 | 9 => (self.arithmetic(0), Any),
            10 => {
                let n = self.rng.usize(0..=3);
                let items: Vec<String> = (0..n).map(|_| self.parameter(depth + 1)).collect();
                (format!("[{}]", items.join(", ")), List)
            }
            11 => {
                let n = self.rng.usize(0..=3);
                let keys = ["'a'", "\"b\"", "'k'", "1", "$s", "'dash-k'"];
                let items: Vec<String> = (0..n)
                    .map(|_| {
                        let k = self.pick(&keys);
                        format!("{k}: {}", self.parameter(depth + 1))
                    })
                    .collect();
                (format!("{{{}}}", items.join(", ")), Map)
            }
            12 => (self.range(), List),
            13 => (self.condition(1), Bool),
            14 => (format!("({})", self.arithmetic(1)), Any),
            _ => ("$nope".into(), Null),
        }
    }

    /// A list item, map key or value: Velocity's `Parameter` grammar takes
    /// no operators (now and then one is written anyway: a parse error).
    fn parameter(&mut self, depth: usize) -> String {
        if self.chance(3) {
            return self.arithmetic(1);
        }
        loop {
            let (v, _) = self.value(depth.max(2));
            let operator = [" + ", " - ", " * ", " / ", " % ", "+", "*", "/", "%"]
                .iter()
                .any(|o| v.contains(o));
            if !v.starts_with('(') && !operator {
                return v;
            }
        }
    }

    fn range(&mut self) -> String {
        // Velocity takes only references and integers as bounds.
        let bounds = [
            "0", "1", "3", "-2", "$i", "$z", "$neg", "5", "0", "1", "3", "$i", "'2'",
        ];
        let (a, b) = (self.pick(&bounds), self.pick(&bounds));
        if self.chance(20) {
            format!("[{a}..{b}]")
        } else {
            format!("[{a} .. {b}]")
        }
    }

    // ----- directives --------------------------------------------------

    fn set(&mut self) -> String {
        let (mut value, ty) = self.value(0);
        let target = match self.rng.u32(0..12) {
            0 => "$map.k".to_string(),
            1 => "$map['k']".to_string(),
            2 => "$list[0]".to_string(),
            3 => "$obj.address.city".to_string(),
            4 => "$nope.x".to_string(),
            5 => "$emap.new".to_string(),
            6 if !self.params.is_empty() => format!("${}", self.pick(&self.params.clone())),
            7 if !self.loops.is_empty() => format!("${}", self.loops.last().expect("in a loop").0),
            _ => {
                let name = self.pick(SET_NAMES);
                if ty != Null {
                    // A null value leaves the variable as it was; only
                    // record what it may hold now.
                    match self.vars.iter_mut().find(|(n, _)| *n == name) {
                        Some(slot) => slot.1 = Any,
                        None => self.vars.push((name, ty)),
                    }
                }
                format!("${name}")
            }
        };
        // A list or map made to hold itself is refused here (see the list
        // of known divergences): what goes into one names no list or map
        // that could be it.
        let container = ["$map", "$list", "$obj", "$emap"]
            .iter()
            .any(|c| target.starts_with(c));
        while container && mentions_container(&value) {
            value = self.value(0).0;
        }
        let d = match self.rng.u32(0..6) {
            0 => format!("#set( {target} = {value} )"),
            1 => format!("#set({target}={value})"),
            2 => format!("#{{set}}({target} = {value})"),
            _ => format!("#set({target} = {value})"),
        };
        let mut out = self.line(d);
        if self.chance(30) {
            // Show what was set.
            out.push_str(&format!("[{}]", target.replacen('$', "$!", 1)));
        }
        out
    }

    fn if_directive(&mut self) -> String {
        let curly = self.chance(15);
        let (open, elseif, else_, end) = if curly {
            ("#{if}", "#{elseif}", "#{else}", "#{end}")
        } else {
            ("#if", "#elseif", "#else", "#end")
        };
        let multiline = self.chance(50);
        let nl = self.nl;
        let indent = if multiline && self.chance(50) {
            self.indent()
        } else {
            ""
        };
        let sep = |g: &mut Generator| {
            if multiline {
                format!("{nl}{indent}")
            } else {
                g.after_directive()
            }
        };
        let mut out = String::new();
        let space = if self.chance(10) { " " } else { "" };
        out.push_str(&format!("{indent}{open}{space}({})", self.condition(0)));
        out.push_str(&sep(self));
        out.push_str(&self.body());
        for _ in 0..self.rng.usize(0..=2).saturating_sub(1) {
            if multiline {
                out.push_str(nl);
                out.push_str(indent);
            }
            out.push_str(&format!("{elseif}({})", self.condition(0)));
            out.push_str(&sep(self));
            out.push_str(&self.body());
        }
        if self.chance(50) {
            if multiline {
                out.push_str(nl);
                out.push_str(indent);
            }
            out.push_str(else_);
            out.push_str(&sep(self));
            out.push_str(&self.body());
        }
        if multiline {
            out.push_str(nl);
            out.push_str(indent);
        }
        out.push_str(end);
        out.push_str(&self.after_directive());
        out
    }

    fn foreach(&mut self) -> String {
        let var = LOOP_VARS[self.loops.len()];
        let (iterable, item): (String, Ty) = match self.rng.u32(0..20) {
            0 => ("$list".into(), Int),
            1 => ("$slist".into(), Str),
            2 => ("$mixed".into(), Any),
            3 => ("$map".into(), Any),
            4 => ("$map.entrySet()".into(), Entry),
            5 => ("$map.keySet()".into(), Str),
            6 => ("[1..3]".into(), Int),
            7 => ("[3..1]".into(), Int),
            8 => ("[$z..$i]".into(), Int),
            9 => ("[$neg .. 1]".into(), Int),
            10 => ("['a', \"b\", 'c']".into(), Str),
            11 => ("$empty".into(), Any),
            12 => ("$nope".into(), Any),
            13 => ("$s".into(), Any),
            14 => ("$nested".into(), List),
            15 => ("$obj.tags".into(), Str),
            16 => ("$csv.split(',')".into(), Str),
            17 => ("{'a': 1, 'b': 2}".into(), Int),
            18 => ("[1, 'two', 3.0, $n, true]".into(), Any),
            _ => ("$i".into(), Any),
        };
        let multiline = self.chance(50);
        let nl = self.nl;
        let indent = if multiline && self.chance(50) {
            self.indent()
        } else {
            ""
        };
        self.loops.push((var, item));
        let body = self.body();
        let body = if self.chance(30) {
            // Nested loop.
            if self.loops.len() < 2 {
                format!("{body}{}", self.foreach())
            } else {
                body
            }
        } else {
            body
        };
        self.loops.pop();
        let head = if self.chance(10) {
            format!("#{{foreach}}(${var} in {iterable})")
        } else if self.chance(10) {
            format!("#foreach( ${var} in {iterable} )")
        } else {
            format!("#foreach(${var} in {iterable})")
        };
        let end = if self.chance(10) { "#{end}" } else { "#end" };
        let after = self.after_directive();
        if multiline {
            format!("{indent}{head}{nl}{indent}  {body}{nl}{indent}{end}{after}")
        } else {
            format!("{indent}{head}{body}{end}{after}")
        }
    }

    fn break_directive(&mut self) -> String {
        match self.rng.u32(0..5) {
            0 => "#break".into(),
            1 => format!("#if({})#break#end", self.condition(1)),
            2 => "#if($foreach.count == 2)#break#end".into(),
            3 => "#{break}".into(),
            _ => format!("#if($foreach.index >= 1){}#break{}#end", self.nl, self.nl),
        }
    }

    fn stop(&mut self) -> String {
        match self.rng.u32(0..4) {
            0 => "#stop".into(),
            1 => format!("before#stop{}after", self.nl),
            2 => "#if($f)#stop#end".into(),
            _ => "#{stop}".into(),
        }
    }

    fn define(&mut self) -> String {
        let name = format!("blk{}", self.defines.len());
        self.in_define = true;
        let body = self.body();
        self.in_define = false;
        let d = format!("#define(${name}){body}#end");
        self.defines.push(name.clone());
        let mut out = self.line(d);
        if self.chance(60) {
            out.push_str(&format!("${name}"));
        }
        out
    }

    fn evaluate(&mut self) -> String {
        self.pick(&[
            "#evaluate('$s #if($t)x#end')",
            "#evaluate(\"#set($ev = 1)$ev\")",
            "#evaluate($nope)",
            "#evaluate('#foreach($e in [1..2])$e#end')",
            "#evaluate(\"$s\")",
        ])
        .to_string()
    }

    fn macro_definition(&mut self) -> String {
        if self.macros.len() >= MACRO_NAMES.len() {
            return self.macro_call();
        }
        let name = MACRO_NAMES[self.macros.len()];
        let nparams = self.rng.usize(0..=3);
        let params: Vec<&'static str> = PARAM_NAMES[..nparams].to_vec();
        let saved_loops = std::mem::take(&mut self.loops);
        self.in_macro = true;
        self.params = params.clone();
        let mut body = self.body();
        if !params.is_empty() && self.chance(60) {
            body.push_str(&format!("[${}]", params[0]));
        }
        self.params.clear();
        self.in_macro = false;
        self.loops = saved_loops;
        let sep = if self.chance(30) { ", " } else { " " };
        let plist: String = params.iter().map(|p| format!("{sep}${p}")).collect();
        let plist = if sep == ", " {
            plist.replacen(", ", " ", 1)
        } else {
            plist
        };
        let def = format!("#macro({name}{plist}){body}#end");
        self.macros.push(MacroSig {
            name,
            params: nparams,
        });
        let mut out = self.line(def);
        for _ in 0..self.rng.usize(1..=2) {
            out.push_str(&self.macro_call());
        }
        out
    }

    fn macro_argument(&mut self) -> String {
        match self.rng.u32(0..14) {
            0 | 1 => self.int_literal().into(),
            2 | 3 => self.string_literal(),
            4 | 5 => self.value_reference().0,
            6 => "$nope".into(),
            7 => "[1, 2]".into(),
            8 => "{'a': 1}".into(),
            9 => "[1..3]".into(),
            10 => "true".into(),
            11 if !self.params.is_empty() => format!("${}", self.pick(&self.params.clone())),
            11 => "$list.add(9)".into(),
            12 => "\"$velocityCount\"".into(),
            _ => "$map.put('k', 'v')".into(),
        }
    }

    fn macro_call(&mut self) -> String {
        if self.macros.is_empty() {
            return self.text();
        }
        let i = self.rng.usize(0..self.macros.len());
        let (name, nparams) = (self.macros[i].name, self.macros[i].params);
        // Mostly the right number of arguments; sometimes one too few or too many.
        let nargs = match self.rng.u32(0..10) {
            0 => nparams.saturating_sub(1),
            1 => nparams + 1,
            _ => nparams,
        };
        let sep = if self.chance(50) { " " } else { ", " };
        let args: Vec<String> = (0..nargs).map(|_| self.macro_argument()).collect();
        let call = if self.chance(10) {
            let body = self.body();
            format!("#@{name}({}){body}#end", args.join(sep))
        } else if nargs == 0 && self.chance(20) {
            format!("#{name}")
        } else {
            format!("#{name}({})", args.join(sep))
        };
        self.line(call)
    }
}
