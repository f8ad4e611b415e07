//! The parser: source text → [`Block`] plus the macros the template defines.
//!
//! It follows Velocity 1.7's grammar (`Parser.jjt`), including its whitespace
//! rules: a directive's closing `)` swallows the rest of its line when only
//! spaces or tabs follow, and so do `#else` and `#end`; `##` comments swallow
//! their newline.
//!
//! `Parser::block` reads text and references and hands each `#` to
//! `Parser::hash`: comments, unparsed blocks, the terminators (`#end`,
//! `#else`, `#elseif`), macro calls, and for a directive one function of
//! its own (`set_directive`, `if_directive`, `foreach_directive`,
//! `break_or_stop`, `define_directive`, `evaluate_directive`,
//! `macro_definition`, `literal_directive`, `unsupported_directive` for
//! `#include`/`#parse`), as minijinja's parser has one per statement.

use super::ast::*;
use super::lexer::{Cursor, Token, next_token};
use crate::error::{Error, Span};
use std::sync::Arc;

/// What ended a block.
enum Terminator {
    Eof,
    End(Span),
    Else(Span),
    ElseIf(Expr, Span),
}

/// The parsed form of a template.
pub struct Parsed {
    pub body: Block,
    pub macros: Vec<MacroDef>,
}

/// What the parser accepts, which depends on the dialect and the engine.
pub struct Syntax<'m> {
    /// Bounds the nesting of blocks and expressions, so that hostile input
    /// cannot overflow the stack.
    pub max_depth: usize,
    /// Whether `#macro` defines a macro. When not (API Gateway), a definition
    /// renders nothing and its calls render as written, as Velocity does with
    /// `velocimacro.permissions.allow.inline = false`.
    pub inline_macros: bool,
    /// Whether `#evaluate` is a directive. When not (API Gateway), `#evaluate(…)`
    /// is an unknown macro call and renders as written.
    pub evaluate: bool,
    /// Whether a name is a macro of the engine's library: like Velocity 1.7,
    /// an escaped `\#name` is only an escape when `name` is a directive or a
    /// macro known when the template is parsed.
    pub is_global_macro: &'m dyn Fn(&str) -> bool,
}

/// Parses `src`.
pub fn parse(src: &str, syntax: &Syntax) -> Result<Parsed, Error> {
    let mut parser = Parser {
        cur: Cursor::new(src),
        macros: Vec::new(),
        depth: 0,
        max_depth: syntax.max_depth,
        syntax,
        in_call: false,
        word_arg_calls: Vec::new(),
        in_string: false,
        stray_prefix: None,
        ref_state: None,
    };
    let (body, term) = parser.block(None)?;
    if let Some((name, span)) = parser
        .word_arg_calls
        .iter()
        .find(|(name, _)| parser.is_macro(name))
    {
        return Err(Error::syntax(
            format!("invalid argument in the call of macro #{name}: a bare word is not a value"),
            *span,
        ));
    }
    match term {
        Terminator::Eof => Ok(Parsed {
            body,
            macros: parser.macros,
        }),
        Terminator::End(span) => Err(Error::syntax(
            "unexpected #end: no #if, #foreach, #macro or #define is open here",
            span,
        )),
        Terminator::Else(span) | Terminator::ElseIf(_, span) => Err(Error::syntax(
            "unexpected #else/#elseif: it must be inside an #if block",
            span,
        )),
    }
}

/// The directives Velocity 1.7 knows; any other `#name(` is a macro call.
const DIRECTIVES: &[&str] = &[
    "set", "if", "elseif", "else", "end", "foreach", "break", "stop", "define", "macro",
    "evaluate", "literal", "include", "parse",
];

/// Where a value is written. Velocity 1.7's grammar (`Parser.jjt`) accepts
/// different values in different places and rejects the rest as a parse
/// error: operators and `( … )` exist only in expressions, and an index
/// takes no list, map or number with a fraction.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// `PrimaryExpression` (`#set`, `#if`, `#elseif`, inside `( … )`):
    /// literals, references, lists, maps, ranges and `( expr )`.
    Expression,
    /// `Parameter` (method arguments, list items, map keys and values):
    /// the same without `( … )`.
    Parameter,
    /// `IndexParameter` (`$a[…]`): strings, integers, booleans, references.
    Index,
    /// `DirectiveArg` (macro arguments, the list of `#foreach`, `#evaluate`,
    /// `#break`, `#parse`): like `Parameter` (macro calls handle bare words).
    DirectiveArg,
}

struct Parser<'s, 'm> {
    cur: Cursor<'s>,
    macros: Vec<MacroDef>,
    depth: usize,
    max_depth: usize,
    syntax: &'m Syntax<'m>,
    /// Inside a method call's `( … )`, where Velocity's lexer reads a bare
    /// word as a reference without `$` (a "runt", whose value is null), as
    /// in `$map.put('k', null)`. Elsewhere a bare word is a parse error.
    in_call: bool,
    /// Macro calls with a bare-word argument (`#m(word)`): an error if the
    /// template (or the library) defines the macro, text otherwise.
    word_arg_calls: Vec<(Box<str>, Span)>,
    /// Parsing the inside of a string literal.
    in_string: bool,
    /// A `$`, `$!` or `#` that started no token, written as text: its end in
    /// the source, the length of the text before it and whether it holds a
    /// `$` (see [`Parser::stray_dollar`]).
    stray_prefix: Option<(usize, usize, bool)>,
    /// Where Velocity's lexer is still in a reference's state: right after
    /// a reference in text that is not braced (see [`Parser::after_reference`]).
    ref_state: Option<RefState>,
}

/// The lexer state after a reference such as `$a.b` (not `${a}`, whose `}`
/// ends it): it lasts until a character that cannot continue a reference,
/// and a `#set` directly after the reference (blanks allowed) keeps it.
#[derive(Clone, Copy)]
struct RefState {
    /// The position where the state holds.
    at: usize,
    /// After `.name` (JavaCC state REFMODIFIER), where `##` is no comment.
    after_property: bool,
    /// After `(…)` or `[…]`, where a name cannot continue the reference.
    after_call_or_index: bool,
    /// Resumed after a `#set`, a `#*` comment or an unparsed block that
    /// followed the reference: those leave the lexer in its state.
    resumed: bool,
}

impl RefState {
    fn after(at: usize, accessors: &[Accessor], resumed: bool) -> RefState {
        RefState {
            at,
            // An index returns to the state before its `[`.
            after_property: matches!(
                accessors
                    .iter()
                    .rev()
                    .find(|a| !matches!(a, Accessor::Index { .. })),
                Some(Accessor::Property { .. })
            ),
            after_call_or_index: matches!(
                accessors.last(),
                Some(Accessor::Method { .. } | Accessor::Index { .. })
            ),
            resumed,
        }
    }
}

impl<'s, 'm> Parser<'s, 'm> {
    fn enter(&mut self, span: Span) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(Error::limit(
                format!(
                    "template nesting is deeper than the limit of {} levels",
                    self.max_depth
                ),
                span,
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn here(&self) -> Span {
        Span::new(self.cur.pos, self.cur.pos + 1)
    }

    /// Parses nodes until a terminator. `opened` names the directive whose
    /// body this is (for the error when the template ends too early).
    fn block(&mut self, opened: Option<(&str, Span)>) -> Result<(Block, Terminator), Error> {
        // Templates parse while a render is deep in its own blocks
        // (`#evaluate`): keep room on the stack (see `Renderer::block`).
        stacker::maybe_grow(128 * 1024, 1024 * 1024, || self.block_inner(opened))
    }

    fn block_inner(&mut self, opened: Option<(&str, Span)>) -> Result<(Block, Terminator), Error> {
        let mut nodes = Vec::new();
        let mut text = String::new();
        loop {
            let Some(c) = self.cur.peek() else {
                flush(&mut text, &mut nodes);
                if let Some((name, span)) = opened {
                    return Err(Error::syntax(
                        format!(
                            "#{name} is never closed: expected #end before the end of the template"
                        ),
                        span,
                    ));
                }
                return Ok((nodes, Terminator::Eof));
            };
            if self.ref_state.is_some_and(|r| r.at == self.cur.pos)
                && self.after_reference(&mut text)?
            {
                continue;
            }
            match c {
                b'$' => {
                    if let Some(r) = self.reference(0)? {
                        flush(&mut text, &mut nodes);
                        self.reference_in_text(&r);
                        nodes.push(Node::Reference(Box::new(r)));
                    } else {
                        self.check_unfinished_token()?;
                        self.stray_dollar(&mut text)?;
                    }
                }
                b'\\' => self.backslashes(&mut text, &mut nodes)?,
                b'#' => {
                    if let Some(term) = self.hash(&mut text, &mut nodes)? {
                        flush(&mut text, &mut nodes);
                        return Ok((nodes, term));
                    }
                }
                _ => {
                    let rest = self.cur.rest();
                    let n = rest.find(['$', '#', '\\']).unwrap_or(rest.len());
                    let run = rest.get(..n).unwrap_or("");
                    // Velocity 1.7's SET_DIRECTIVE token is `[ \t]* #set (`:
                    // blanks that start a token (a run of text of their own,
                    // after a directive, reference, comment, unparsed block
                    // or a `\`/`#` written as text) go with the `#set`.
                    // Blanks at the end of a longer run of text stay.
                    let blanks = run.bytes().all(|b| b == b' ' || b == b'\t');
                    if !(blanks && self.at_set_directive(self.cur.pos + n)) {
                        text.push_str(run);
                    }
                    self.cur.bump(n);
                }
            }
        }
    }

    /// A run of backslashes: escapes a following reference or directive.
    fn backslashes(&mut self, text: &mut String, nodes: &mut Block) -> Result<(), Error> {
        let start = self.cur.pos;
        let rest = self.cur.rest();
        let n = rest.bytes().take_while(|&b| b == b'\\').count();
        self.cur.bump(n);
        match self.cur.peek() {
            Some(b'$') => {
                if let Some(r) = self.reference(n as u32)? {
                    flush(text, nodes);
                    self.reference_in_text(&r);
                    nodes.push(Node::Reference(Box::new(r)));
                } else {
                    self.check_unfinished_token()?;
                    self.escaped_stray_dollar(text, n)?;
                }
            }
            Some(b'#') => {
                self.check_unfinished_token()?;
                // `\#if` prints `#if`; `\\#if` prints `\` and runs the directive.
                let save = self.cur.pos;
                self.cur.bump(1);
                let at = self.cur.eat("@");
                let curly = !at && self.cur.eat("{");
                let name = self.cur.directive_name();
                let word = name.is_some() && (!curly || self.cur.peek() == Some(b'}'));
                // `#@name` is never recognised: `@name` is neither a
                // directive nor a macro name.
                let known =
                    word && !at && name.is_some_and(|w| self.is_directive(w) || self.is_macro(w));
                // An even count is Velocity's `Escape` node, which halves the
                // backslashes only before a control directive: `#if`,
                // `#else`, `#elseif`, `#end` in either form, or a plain
                // `#name` of a directive or macro, but not `#{name}` nor
                // `#set(`, whose token is `#set(`.
                let control = word
                    && !at
                    && name.is_some_and(|w| {
                        matches!(w, "if" | "else" | "elseif" | "end")
                            || (known && !curly && !(w == "set" && self.at_set_directive(save)))
                    });
                let known = if n % 2 == 1 { known } else { control };
                self.cur.pos = save;
                let len = 1 + usize::from(at) + usize::from(curly) * 2 + name.map_or(0, str::len);
                if known {
                    text.push_str(&"\\".repeat(n / 2));
                    if n % 2 == 1 {
                        // The escaped directive's own text is literal; what
                        // follows it is scanned as ordinary text.
                        text.push_str(self.cur.rest().get(..len).unwrap_or("#"));
                        self.cur.bump(len);
                    }
                } else {
                    text.push_str(&"\\".repeat(n));
                    if word && n % 2 == 1 {
                        // Velocity's ESCAPE_DIRECTIVE token `\#name` is text
                        // as written when the name is unknown: `\#foo()` is
                        // never a call, even of a macro defined later.
                        text.push_str(self.cur.rest().get(..len).unwrap_or("#"));
                        self.cur.bump(len);
                    }
                }
            }
            _ => text.push_str(self.cur.src.get(start..self.cur.pos).unwrap_or("")),
        }
        Ok(())
    }

    /// Something starting with `#`. Returns a terminator when the block ends.
    fn hash(&mut self, text: &mut String, nodes: &mut Block) -> Result<Option<Terminator>, Error> {
        let start = self.cur.pos;
        self.check_unfinished_token()?;
        if self.cur.starts_with("##") || self.cur.starts_with("#*") {
            // A comment ends the text before it (it is a token of its own,
            // which matters for the blanks before a `#set`).
            flush(text, nodes);
        }
        if self.cur.starts_with("##") {
            return self.line_comment(start).map(|()| None);
        }
        if self.cur.starts_with("#*") {
            self.block_comment(start);
            return Ok(None);
        }
        if self.cur.starts_with("#[[") {
            return self.unparsed_block(start, text).map(|()| None);
        }

        self.cur.bump(1);
        let block_call = self.cur.eat("@");
        let curly = !block_call && self.cur.eat("{");
        let Some(name) = self.cur.directive_name() else {
            if block_call && self.at_lparen() {
                // `#@(…) … #end`: a block call of a macro without a name,
                // which never exists; Velocity writes it all as it is.
                self.cur.pos = start + 2;
                flush(text, nodes);
                let node = self.macro_call("", start, true)?;
                nodes.push(node);
                return Ok(None);
            }
            self.cur.pos = start;
            self.stray_hash(text);
            return Ok(None);
        };
        if curly && !self.cur.eat("}") {
            self.cur.pos = start;
            self.stray_hash(text);
            return Ok(None);
        }
        let name_end = self.cur.pos;
        let span = Span::new(start, name_end);
        if block_call {
            let save = self.cur.pos;
            let has_args = self.at_lparen();
            self.cur.pos = save;
            if !has_args {
                // `#@foo` without arguments is text.
                text.push_str(self.cur.src.get(start..name_end).unwrap_or(""));
                return Ok(None);
            }
            flush(text, nodes);
            let node = self.macro_call(name, start, true)?;
            nodes.push(node);
            return Ok(None);
        }
        match name {
            "end" => {
                self.cur.eat_line_end();
                return Ok(Some(Terminator::End(span)));
            }
            "else" => {
                self.cur.eat_line_end();
                return Ok(Some(Terminator::Else(span)));
            }
            "elseif" => {
                let cond = self.paren_expr("elseif", span)?;
                return Ok(Some(Terminator::ElseIf(cond, span)));
            }
            _ => {}
        }
        if !self.is_directive(name) {
            return self
                .macro_call_or_text(name, start, text, nodes)
                .map(|()| None);
        }
        if name == "set" && !self.at_set_directive(start) {
            // `#set` is a directive only as `#set(` with spaces at most
            // between; otherwise Velocity reads the word `#set`: text, or
            // with a `(` after tabs or newlines the call of a macro `set`.
            let save = self.cur.pos;
            if self.at_lparen() {
                self.cur.pos = save;
                flush(text, nodes);
                let node = self.macro_call(name, start, false)?;
                nodes.push(node);
            } else {
                text.push_str(self.cur.src.get(start..name_end).unwrap_or(""));
            }
            return Ok(None);
        }
        // A `#set` right after a reference (blanks between) leaves the
        // lexer in the reference's state.
        let blanks_from = start
            - self.cur.src[..start]
                .bytes()
                .rev()
                .take_while(|b| *b == b' ' || *b == b'\t')
                .count();
        // So does a stray `$` or `#` right before it (blanks between).
        let mut continues = (name == "set")
            .then_some(self.ref_state)
            .flatten()
            .filter(|r| r.at == blanks_from);
        if let Some((end, len, dollar)) = self.stray_prefix
            && name == "set"
            && end == blanks_from
        {
            text.truncate(len);
            // A `$` had put the lexer in a reference's state.
            if dollar {
                continues = Some(RefState {
                    at: start,
                    after_property: false,
                    after_call_or_index: false,
                    resumed: true,
                });
            }
        }
        flush(text, nodes);
        self.enter(span)?;
        let node = self.directive(name, span);
        self.leave();
        if let (Some(r), Ok(_)) = (continues, &node) {
            self.ref_state = Some(RefState {
                at: self.cur.pos,
                resumed: true,
                ..r
            });
        }
        if let Some(node) = node? {
            nodes.push(node);
        }
        Ok(None)
    }

    /// `## …`: a line comment, which swallows its newline (`\n`, `\r\n`
    /// or `\r`).
    fn line_comment(&mut self, start: usize) -> Result<(), Error> {
        let rest = self.cur.rest();
        let Some(end) = rest.find(['\n', '\r']) else {
            // Up to the end: the lexer still reads `$` and `#` as the
            // start of tokens there, which may not end the template.
            let body = rest.get(2..).unwrap_or("");
            if !self.in_string
                && (body.ends_with(['$', '#']) || body.ends_with("$!") || body.ends_with("#*"))
            {
                return Err(Error::syntax(
                    "the template ends in the middle of a token inside a ## comment (a lexical error in Velocity)",
                    Span::new(start, self.cur.src.len()),
                ));
            }
            self.cur.bump(rest.len());
            return Ok(());
        };
        let newline = if rest[end..].starts_with("\r\n") {
            2
        } else {
            1
        };
        self.cur.bump(end + newline);
        Ok(())
    }

    /// `#* … *#`: a block comment.
    fn block_comment(&mut self, start: usize) {
        let rest = self.cur.rest();
        match rest.get(2..).and_then(|r| r.find("*#")) {
            Some(i) => self.cur.bump(i + 4),
            // Velocity 1.7 lets an unclosed `#*` comment run to the end
            // of the template (a block still open then fails as such).
            None => self.cur.bump(rest.len()),
        }
        self.resume_reference_state(start);
    }

    /// `#[[ … ]]#`: an unparsed block, written as text.
    fn unparsed_block(&mut self, start: usize, text: &mut String) -> Result<(), Error> {
        let rest = self.cur.rest();
        match rest.get(3..).and_then(|r| r.find("]]#")) {
            Some(i) => {
                text.push_str(rest.get(3..3 + i).unwrap_or(""));
                self.cur.bump(i + 6);
            }
            None => {
                return Err(Error::syntax(
                    "unterminated unparsed block: expected ']]#' to close this '#[['",
                    Span::new(start, start + 3),
                ));
            }
        }
        self.resume_reference_state(start);
        Ok(())
    }

    /// `#name` that is no directive, the cursor after the name: a macro
    /// call when its '(' follows (spaces before it are allowed) or the
    /// macro is already known when parsing (`#m`, as in Velocity 1.7);
    /// otherwise just text.
    fn macro_call_or_text(
        &mut self,
        name: &str,
        start: usize,
        text: &mut String,
        nodes: &mut Block,
    ) -> Result<(), Error> {
        let name_end = self.cur.pos;
        if self.at_lparen() || self.is_macro(name) {
            self.cur.pos = name_end;
            flush(text, nodes);
            let node = self.macro_call(name, start, false)?;
            nodes.push(node);
        } else {
            self.cur.pos = name_end;
            text.push_str(self.cur.src.get(start..name_end).unwrap_or(""));
        }
        Ok(())
    }

    /// A `$` that starts no reference. Velocity's lexer makes `${`, `$!{`
    /// (with a `}` right after them), `$[`, `$![` and `$.` tokens of their
    /// own. Any other `$` or `$!` begins a token that never completes
    /// (JavaCC `MORE`) and ends up in front of the next one: it is written
    /// as `$` (Velocity writes only the `$` and `#` of such a prefix), or
    /// dropped when that next token is a `#set`.
    fn stray_dollar(&mut self, text: &mut String) -> Result<(), Error> {
        let rest = self.cur.rest().as_bytes();
        // After `$a.b` (state REFMODIFIER) `$[` is no token of its own but
        // the start of an index: a parse error.
        let bang = usize::from(rest.get(1) == Some(&b'!'));
        if self
            .ref_state
            .is_some_and(|r| r.at == self.cur.pos && r.after_property)
            && rest.get(1 + bang) == Some(&b'[')
        {
            return Err(Error::syntax(
                "unexpected '[': Velocity's lexer is still in the reference before it and reads an index",
                Span::new(self.cur.pos, self.cur.pos + 2 + bang),
            ));
        }
        // Right after `$a.b`, the `$` of `$.name` vanishes.
        if self
            .ref_state
            .is_some_and(|r| r.at == self.cur.pos && r.after_property)
            && rest.get(1) == Some(&b'.')
            && rest.get(2).is_some_and(u8::is_ascii_alphabetic)
        {
            text.push('.');
            self.cur.bump(2);
            return Ok(());
        }
        let token = match rest.get(1 + bang) {
            Some(b'{') => 2 + bang + usize::from(rest.get(2 + bang) == Some(&b'}')),
            Some(b'[') => 2 + bang,
            Some(b'.') if bang == 0 => 2,
            _ => 0,
        };
        if token > 0 {
            let start = self.cur.pos;
            let empty_index = !matches!(rest.get(1 + bang), Some(b'{'));
            text.push_str(self.cur.rest().get(..token).unwrap_or("$"));
            self.cur.bump(token);
            if !empty_index && rest.get(token - 1) == Some(&b'}') {
                self.ref_state = self.inherited_state(start);
                return Ok(());
            }
            if !empty_index {
                // After `${` the lexer is in a reference's state.
                self.ref_state = Some(RefState {
                    at: self.cur.pos,
                    after_property: false,
                    after_call_or_index: false,
                    resumed: false,
                });
                return Ok(());
            }
            // `$.` and `$[` right after a reference leave the lexer in the
            // reference's state (`$a$.b.c` writes `$.b`).
            if let Some(r) = self.ref_state
                && empty_index
                && r.at == start
                && !r.after_property
            {
                self.ref_state = Some(RefState {
                    at: self.cur.pos,
                    after_call_or_index: true,
                    ..r
                });
            }
        } else if rest.get(1 + bang) == Some(&b'$') {
            // Before another `$` the prefix is part of that token and
            // written whole (`$!$a` writes `$!` and `$a`).
            self.stray_prefix(text, if bang == 1 { "$!" } else { "$" }, 1 + bang);
        } else {
            self.stray_prefix(text, "$", 1 + bang);
        }
        Ok(())
    }

    /// Backslashes and a `$` that starts no reference. Velocity reads
    /// `\\$` as the start of a reference (a JavaCC `MORE` token): in front
    /// of `[` that is an index with nothing to index (a parse error), and
    /// `\\$.name` is `.` and a runt reference (see
    /// [`Parser::after_reference`]): the backslashes and `$` vanish.
    fn escaped_stray_dollar(&mut self, text: &mut String, backslashes: usize) -> Result<(), Error> {
        let rest = self.cur.rest().as_bytes();
        let bang = usize::from(rest.get(1) == Some(&b'!'));
        match rest.get(1 + bang) {
            Some(b'[') => Err(Error::syntax(
                "unexpected '[' after an escaped '$': Velocity reads it as an index",
                Span::new(self.cur.pos - backslashes, self.cur.pos + 2 + bang),
            )),
            Some(b'.') if bang == 0 && rest.get(2).is_some_and(u8::is_ascii_alphabetic) => {
                text.push('.');
                self.cur.bump(2);
                self.ref_state = Some(RefState {
                    at: self.cur.pos,
                    after_property: true,
                    after_call_or_index: false,
                    resumed: true,
                });
                Ok(())
            }
            Some(b'{') => {
                // `\\${` and `\\$!{` are tokens as written (`}` after them too).
                let len = 2 + bang + usize::from(rest.get(2 + bang) == Some(&b'}'));
                text.push_str(&"\\".repeat(backslashes));
                text.push_str(self.cur.rest().get(..len).unwrap_or("$"));
                self.cur.bump(len);
                Ok(())
            }
            _ => {
                // `\\$` begins a token: with its backslashes it is a stray
                // prefix (which a `#set` swallows), never `$.` or `$[`.
                let written = format!("{}$", "\\".repeat(backslashes));
                self.stray_prefix(text, &written, 1 + bang);
                Ok(())
            }
        }
    }

    /// A `#` that starts no directive or comment: `#` followed by an
    /// integer, or `#@`, is a token of its own; any other is a prefix as a
    /// stray `$` is.
    fn stray_hash(&mut self, text: &mut String) {
        let rest = self.cur.rest().as_bytes();
        let minus = usize::from(rest.get(1) == Some(&b'-'));
        let digits = rest
            .iter()
            .skip(1 + minus)
            .take_while(|c| c.is_ascii_digit())
            .count();
        let token = if digits > 0 {
            1 + minus + digits
        } else if rest.get(1) == Some(&b'@') {
            2
        } else {
            0
        };
        if token > 0 {
            text.push_str(self.cur.rest().get(..token).unwrap_or("#"));
            self.cur.bump(token);
        } else {
            self.stray_prefix(text, "#", 1);
        }
    }

    /// Writes a stray prefix (consecutive ones join: `$$`).
    fn stray_prefix(&mut self, text: &mut String, written: &str, len: usize) {
        let start = self.cur.pos;
        let dollar = written.starts_with('$');
        let (text_len, dollar) = match self.stray_prefix {
            Some((end, text_len, d)) if end == start => (text_len, d || dollar),
            _ => (text.len(), dollar),
        };
        text.push_str(written);
        self.cur.bump(len);
        self.stray_prefix = Some((self.cur.pos, text_len, dollar));
    }

    /// A `#*` comment or unparsed block that began at `start`, right where
    /// the lexer was in a reference's state, leaves it in that state.
    fn resume_reference_state(&mut self, start: usize) {
        if let Some(r) = self.ref_state
            && r.at == start
        {
            self.ref_state = Some(RefState {
                at: self.cur.pos,
                resumed: true,
                ..r
            });
        }
    }

    /// Notes the lexer state a reference in text leaves behind.
    fn reference_in_text(&mut self, r: &Reference) {
        let start = r.span.start as usize - r.backslashes as usize;
        self.ref_state = if !r.literal.ends_with('}') {
            Some(RefState::after(self.cur.pos, &r.accessors, false))
        } else {
            // A braced reference's `}` returns to the state before it,
            // which a reference right after `$a.b` inherits.
            self.inherited_state(start)
        };
    }

    /// The state the lexer returns to after a braced reference (or a
    /// stray `${}`) that began at `start`: right after `$a.b` Velocity's
    /// lexer keeps that reference's state underneath (a `$` there does not
    /// end it), so `$a.b${c}## x` writes `## x`.
    fn inherited_state(&self, start: usize) -> Option<RefState> {
        self.ref_state
            .filter(|r| r.at == start && r.after_property)
            .map(|r| RefState {
                at: self.cur.pos,
                after_call_or_index: false,
                resumed: true,
                ..r
            })
    }

    /// What Velocity 1.7's lexer does at a position still in a reference's
    /// state (JavaCC states REFERENCE/REFMODIFIER), where it differs from
    /// plain text. Returns whether it consumed something.
    ///
    /// - `{name…}` (also `{$name…}`) is read as a braced reference whose
    ///   first token is `{`: Velocity renders such a "runt" reference as
    ///   that token alone, `{`, and a missing `}` is a parse error.
    /// - After `.name`, `##` starts no comment: the `#`s are text.
    /// - After `(…)` or `[…]` (`$a.b()name.c`), a name is a runt too,
    ///   rendered as the name alone: its `.x`, `(…)` and `[…]` are dropped.
    /// - After a `#set` that followed the reference, so is a name, `.name`
    ///   is `.` then a runt, and `[` is a parse error.
    fn after_reference(&mut self, text: &mut String) -> Result<bool, Error> {
        let Some(state) = self.ref_state else {
            return Ok(false);
        };
        let start = self.cur.pos;
        let rest = self.cur.rest().as_bytes();
        let name_start = |b: Option<&u8>| b.is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_');
        if rest.first() == Some(&b'}') {
            // A `}` token of its own: blanks after it start a new token.
            text.push('}');
            self.cur.bump(1);
            return Ok(true);
        }
        if rest.first() == Some(&b'{') {
            // `{name`, or `{$name` (escaped or quiet too) as the `$` starts
            // a token that ends with the name.
            let backslashes = rest.iter().skip(1).take_while(|b| **b == b'\\').count();
            let skip = match rest.get(1 + backslashes..3 + backslashes) {
                Some([b'$', b'!']) => 3 + backslashes,
                Some([b'$', _]) => 2 + backslashes,
                _ => 1,
            };
            if !name_start(rest.get(skip)) {
                // A `{` token of its own, after which the state goes on.
                text.push('{');
                self.cur.bump(1);
                self.ref_state = Some(RefState {
                    at: self.cur.pos,
                    resumed: true,
                    ..state
                });
                return Ok(true);
            }
            self.cur.bump(skip);
            self.cur.identifier();
            self.accessors()?;
            if !self.cur.eat("}") {
                return Err(Error::syntax(
                    "expected '}' to close '{': after a reference, Velocity reads '{name' as a braced reference",
                    Span::new(start, self.cur.pos),
                ));
            }
            text.push('{');
            return Ok(true);
        }
        if state.after_property
            && rest.first() == Some(&b'(')
            && (state.after_call_or_index || state.resumed)
            && rest.get(1) != Some(&b'#')
        {
            // Where `(` cannot be a call's (after `$a.b[0]`, or `$a.b`
            // resumed), it puts Velocity's lexer in a call's state, where
            // template text is a parse error.
            return Err(Error::syntax(
                "unexpected '(' after a reference: Velocity's lexer reads a method call's arguments here",
                Span::new(start, start + 1),
            ));
        }
        if state.after_property && rest.starts_with(b"##") {
            // The first `#` is text, unless a `##` comment follows it
            // (`###`), which swallows it.
            if !rest.starts_with(b"###") {
                text.push('#');
            }
            self.cur.bump(1);
            return Ok(true);
        }
        // Past here: a name is a runt after a call or index; `[`, `.name`
        // and names are read so only once the state resumed.
        let runt_name = state.after_call_or_index && name_start(rest.first());
        if !(state.resumed || runt_name) {
            return Ok(false);
        }
        match rest.first() {
            Some(b'[') => Err(Error::syntax(
                "unexpected '[': Velocity's lexer is still in the reference before it and reads an index",
                Span::new(start, start + 1),
            )),
            Some(b'.') if rest.get(1).is_some_and(u8::is_ascii_alphabetic) => {
                text.push('.');
                self.cur.bump(1);
                self.ref_state = Some(RefState {
                    at: self.cur.pos,
                    after_property: true,
                    after_call_or_index: false,
                    ..state
                });
                Ok(true)
            }
            c if name_start(c) => {
                let name = self.cur.identifier().unwrap_or("");
                text.push_str(name);
                let accessors = self.accessors()?;
                self.ref_state = Some(RefState::after(self.cur.pos, &accessors, state.resumed));
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Velocity's lexer reads `$`, `$!`, `#` and `#*` as the start of a
    /// longer token (JavaCC `MORE`): a template that ends right there fails
    /// with a lexical error. A string literal never does (Velocity parses it
    /// with a space appended).
    fn check_unfinished_token(&self) -> Result<(), Error> {
        if !self.in_string && matches!(self.cur.rest(), "$" | "$!" | "#" | "#*") {
            return Err(Error::syntax(
                format!(
                    "the template ends in the middle of '{}' (a lexical error in Velocity)",
                    self.cur.rest()
                ),
                Span::new(self.cur.pos, self.cur.src.len()),
            ));
        }
        Ok(())
    }

    fn is_macro(&self, name: &str) -> bool {
        (self.syntax.is_global_macro)(name) || self.macros.iter().any(|m| *m.name == *name)
    }

    fn is_directive(&self, name: &str) -> bool {
        DIRECTIVES.contains(&name) && (self.syntax.evaluate || name != "evaluate")
    }

    /// Whether a `#set(` or `#{set}(` directive starts at byte `at`.
    fn at_set_directive(&self, at: usize) -> bool {
        let rest = self.cur.src.get(at..).unwrap_or("");
        let Some(after) = rest
            .strip_prefix("#set")
            .or_else(|| rest.strip_prefix("#{set}"))
        else {
            return false;
        };
        after.trim_start_matches(' ').starts_with('(')
    }

    /// Whether a `(` follows, after any blanks and newlines (Velocity's
    /// `isLeftParenthesis`: `#foreach\n(` and `#m\n()` have arguments). The
    /// cursor moves to the `(` if so and stays put otherwise.
    fn at_lparen(&mut self) -> bool {
        let save = self.cur.pos;
        self.cur.skip_whitespace();
        if self.cur.peek() == Some(b'(') {
            return true;
        }
        self.cur.pos = save;
        false
    }

    /// A known directive other than the terminators (`#end`, `#else` and
    /// `#elseif` end a block in [`Parser::hash`]): one function each, as
    /// the statements of minijinja's parser.
    fn directive(&mut self, name: &str, span: Span) -> Result<Option<Node>, Error> {
        match name {
            "set" => self.set_directive(span).map(Some),
            "if" => self.if_directive(span).map(Some),
            "foreach" => self.foreach_directive(span).map(Some),
            "break" | "stop" => self.break_or_stop(name, span).map(Some),
            "define" => self.define_directive(span).map(Some),
            "evaluate" => self.evaluate_directive(span).map(Some),
            "macro" => self.macro_definition(span).map(|()| None),
            "literal" => self.literal_directive(span).map(Some),
            "include" | "parse" => self.unsupported_directive(name, span).map(Some),
            _ => Err(Error::syntax(format!("unknown directive #{name}"), span)),
        }
    }

    /// `#set($ref = expr)`.
    fn set_directive(&mut self, span: Span) -> Result<Node, Error> {
        self.expect_lparen("set")?;
        self.expect_token(|t| matches!(t, Token::Dollar), "a reference like $name")?;
        let target = self.reference(0)?.ok_or_else(|| {
            Error::syntax(
                "#set needs a reference to assign to, like #set($name = …)",
                span,
            )
        })?;
        self.expect(Token::Assign, "'=' after the #set target")?;
        let value = self.expr()?;
        self.expect_rparen()?;
        self.cur.eat_line_end();
        Ok(Node::Set {
            target: Box::new(target),
            value,
            span,
        })
    }

    /// `#if(cond) … [#elseif(cond) …]… [#else …] #end`.
    fn if_directive(&mut self, span: Span) -> Result<Node, Error> {
        let cond = self.paren_expr("if", span)?;
        let mut branches = Vec::new();
        let mut cond = Some(cond);
        let mut otherwise = None;
        while let Some(c) = cond.take() {
            let (body, term) = self.block(Some(("if", span)))?;
            branches.push((c, body));
            match term {
                Terminator::End(_) => break,
                Terminator::ElseIf(next, _) => cond = Some(next),
                Terminator::Else(else_span) => {
                    otherwise = Some(self.else_branch(else_span)?);
                    break;
                }
                Terminator::Eof => unreachable_eof(span)?,
            }
        }
        Ok(Node::If {
            branches,
            otherwise,
        })
    }

    /// The body of an `#else`, up to its `#end`.
    fn else_branch(&mut self, else_span: Span) -> Result<Block, Error> {
        let (body, term) = self.block(Some(("else", else_span)))?;
        match term {
            Terminator::End(_) => Ok(body),
            Terminator::Else(s) | Terminator::ElseIf(_, s) => {
                Err(Error::syntax("#else/#elseif after #else: expected #end", s))
            }
            Terminator::Eof => unreachable_eof(else_span).map(|_| body),
        }
    }

    /// `#foreach($item in iterable) … #end`.
    fn foreach_directive(&mut self, span: Span) -> Result<Node, Error> {
        self.expect_lparen("foreach")?;
        self.expect_token(
            |t| matches!(t, Token::Dollar),
            "the loop variable, like $item",
        )?;
        let var = self.reference(0)?.ok_or_else(|| {
            Error::syntax(
                "#foreach needs a loop variable: #foreach($item in $list)",
                span,
            )
        })?;
        if !var.accessors.is_empty() {
            return Err(Error::syntax(
                "the #foreach loop variable must be a plain name like $item",
                var.span,
            ));
        }
        self.expect(Token::Word("in"), "'in' after the loop variable")?;
        let iterable = self.value(Place::DirectiveArg)?;
        self.expect_rparen()?;
        self.cur.eat_line_end();
        let body = self.body("foreach", span)?;
        Ok(Node::Foreach(Box::new(Foreach {
            var_hash: var.root_hash,
            var: Arc::from(var.root),
            iterable,
            body,
            span,
        })))
    }

    /// `#break`, `#stop`, each with an optional argument in parentheses
    /// (parsed, not used).
    fn break_or_stop(&mut self, name: &str, span: Span) -> Result<Node, Error> {
        let save = self.cur.pos;
        if self.at_lparen() {
            self.expect_lparen(name)?;
            let (tok, _) = self.peek_token()?;
            if tok != Token::RParen {
                self.value(Place::DirectiveArg)?;
            }
            self.expect_rparen()?;
            self.cur.eat_line_end();
        } else {
            self.cur.pos = save;
        }
        Ok(if name == "break" {
            Node::Break(span)
        } else {
            Node::Stop
        })
    }

    /// `#define($name) … #end`.
    fn define_directive(&mut self, span: Span) -> Result<Node, Error> {
        self.expect_lparen("define")?;
        self.expect_token(|t| matches!(t, Token::Dollar), "a reference like $name")?;
        let target = self
            .reference(0)?
            .ok_or_else(|| Error::syntax("#define needs a name: #define($name) … #end", span))?;
        self.expect_rparen()?;
        self.cur.eat_line_end();
        let body = self.body("define", span)?;
        Ok(Node::Define {
            name: target.root,
            body: Arc::new(body),
        })
    }

    /// `#evaluate(value)`.
    fn evaluate_directive(&mut self, span: Span) -> Result<Node, Error> {
        self.expect_lparen("evaluate")?;
        let expr = self.value(Place::DirectiveArg)?;
        self.expect_rparen()?;
        self.cur.eat_line_end();
        Ok(Node::Evaluate { expr, span })
    }

    /// `#macro(name $p1 $p2 …) … #end`: recorded in `self.macros` (when the
    /// dialect allows inline macros); it leaves no node.
    fn macro_definition(&mut self, span: Span) -> Result<(), Error> {
        self.expect_lparen("macro")?;
        let (tok, tspan) = next_token(&mut self.cur)?;
        let Token::Word(macro_name) = tok else {
            return Err(Error::syntax(
                format!(
                    "expected the macro's name after #macro(, found {}",
                    tok.describe()
                ),
                tspan,
            ));
        };
        let params = self.macro_parameters()?;
        self.expect_rparen()?;
        self.cur.eat_line_end();
        let body = self.body("macro", span)?;
        // Velocity 1.7 keeps the first definition of a name.
        if self.syntax.inline_macros && !self.macros.iter().any(|m| *m.name == *macro_name) {
            self.macros.push(MacroDef {
                name: macro_name.into(),
                params,
                body,
                span,
            });
        }
        Ok(())
    }

    /// A macro definition's parameters, `$a, $b` or `$a $b`, up to its `)`.
    fn macro_parameters(&mut self) -> Result<Vec<Box<str>>, Error> {
        let mut params = Vec::new();
        loop {
            let (tok, tspan) = self.peek_token()?;
            match tok {
                Token::RParen => return Ok(params),
                Token::Comma => {
                    next_token(&mut self.cur)?;
                }
                Token::Dollar => {
                    self.cur.skip_whitespace();
                    let r = self.reference(0)?.ok_or_else(|| {
                        Error::syntax("expected a parameter name like $arg", tspan)
                    })?;
                    params.push(r.root);
                }
                other => {
                    return Err(Error::syntax(
                        format!(
                            "expected a macro parameter like $arg or ')', found {}",
                            other.describe()
                        ),
                        tspan,
                    ));
                }
            }
        }
    }

    /// `#literal[()] … #end`: the body's source, as text.
    fn literal_directive(&mut self, span: Span) -> Result<Node, Error> {
        let save = self.cur.pos;
        if self.at_lparen() {
            self.expect_lparen("literal")?;
            self.expect_rparen()?;
            self.cur.eat_line_end();
        } else {
            self.cur.pos = save;
        }
        let body_start = self.cur.pos;
        let (_, term) = self.block(Some(("literal", span)))?;
        let Terminator::End(end_span) = term else {
            return Err(Error::syntax("#literal body must end with #end", span));
        };
        let raw = self
            .cur
            .src
            .get(body_start..end_span.start as usize)
            .unwrap_or("");
        Ok(Node::Text(raw.into()))
    }

    /// `#include(…)` and `#parse(…)`: parsed here; the renderer refuses
    /// them (templates here cannot load other templates).
    fn unsupported_directive(&mut self, name: &str, span: Span) -> Result<Node, Error> {
        self.expect_lparen(name)?;
        let mut args = Vec::new();
        loop {
            let (tok, tspan) = self.peek_token()?;
            match tok {
                Token::RParen => break,
                Token::Eof => {
                    return Err(Error::syntax(format!("#{name}( is never closed"), tspan));
                }
                Token::Comma => {
                    next_token(&mut self.cur)?;
                }
                _ => args.push(self.value(Place::DirectiveArg)?),
            }
        }
        self.expect_rparen()?;
        self.cur.eat_line_end();
        Ok(Node::Unsupported {
            directive: name.into(),
            args,
            span,
        })
    }

    /// A block body that must end with `#end`.
    fn body(&mut self, name: &str, span: Span) -> Result<Block, Error> {
        let (body, term) = self.block(Some((name, span)))?;
        match term {
            Terminator::End(_) => Ok(body),
            Terminator::Else(s) | Terminator::ElseIf(_, s) => Err(Error::syntax(
                format!("#else/#elseif inside #{name}: only #if has branches; expected #end"),
                s,
            )),
            Terminator::Eof => unreachable_eof(span).map(|_| body),
        }
    }

    /// `#name(args)` or `#@name(args) body #end`.
    fn macro_call(&mut self, name: &str, start: usize, block: bool) -> Result<Node, Error> {
        let span = Span::new(start, self.cur.pos);
        self.enter(span)?;
        // Blanks belong to the call only when its '(' follows them
        // (`#m #m()` is two calls with a space between).
        let mut args = Vec::new();
        if self.at_lparen() {
            self.expect_lparen(name)?;
            loop {
                let (mut tok, _) = self.peek_token()?;
                if tok == Token::RParen {
                    break;
                }
                // One comma may come before each argument: `#m(a, b)`,
                // `#m(a b)` and `#m(, a)` but not `#m(a,, b)` or `#m(a,)`.
                if tok == Token::Comma {
                    next_token(&mut self.cur)?;
                    tok = self.peek_token()?.0;
                }
                if let Token::Word(w) = tok
                    && w != "true"
                    && w != "false"
                {
                    let (_, wspan) = next_token(&mut self.cur)?;
                    self.word_arg_calls.push((name.into(), wspan));
                    args.push(Arc::new(Expr::Literal(Literal::Str(w.into()))));
                    continue;
                }
                args.push(Arc::new(self.value(Place::DirectiveArg)?));
            }
            self.expect_rparen()?;
            // Like a directive's ')', the call's swallows a blank rest of
            // its line; a call without parentheses (`#m`) does not.
            self.cur.eat_line_end();
        }
        let body = if block {
            Some(Arc::new(self.body(&format!("@{name}"), span)?))
        } else {
            None
        };
        // A call of an undefined macro renders as its source, as Velocity
        // 1.7 writes it: with the rest of the line after it and, for a
        // block call, its body and `#end`.
        let literal: Box<str> = self.cur.src.get(start..self.cur.pos).unwrap_or("").into();
        self.leave();
        Ok(Node::MacroCall(Box::new(MacroCall {
            name: name.into(),
            args,
            body,
            literal,
            span,
        })))
    }

    // ----- references -------------------------------------------------

    /// Reads a reference at `$`. Returns `None` (cursor unmoved past the
    /// backslashes) when the `$` does not start one, e.g. `$5` or `$ `.
    fn reference(&mut self, backslashes: u32) -> Result<Option<Reference>, Error> {
        let start = self.cur.pos;
        self.cur.bump(1);
        let quiet = self.cur.eat("!");
        let braced = self.cur.eat("{");
        let Some(root) = self.cur.identifier() else {
            self.cur.pos = start;
            return Ok(None);
        };
        let root_span = Span::new(start, self.cur.pos);
        self.enter(root_span)?;
        let accessors = self.accessors();
        self.leave();
        let accessors = accessors?;
        if braced && !self.cur.eat("}") {
            // Velocity has read `${name` as a braced reference by now.
            return Err(Error::syntax(
                "expected '}' to close the reference",
                Span::new(start, self.cur.pos),
            ));
        }
        Ok(Some(Reference {
            root: root.into(),
            root_hash: name_hash(root),
            loop_position: LoopPosition::of(root, &accessors),
            accessors,
            quiet,
            backslashes,
            literal: self.cur.src.get(start..self.cur.pos).unwrap_or("").into(),
            span: Span::new(start, self.cur.pos),
        }))
    }

    fn accessors(&mut self) -> Result<Vec<Accessor>, Error> {
        let mut accessors = Vec::new();
        loop {
            let at = self.cur.pos;
            if self.cur.peek() == Some(b'.') {
                self.cur.bump(1);
                let Some(name) = self.cur.identifier() else {
                    self.cur.pos = at;
                    break;
                };
                let span = Span::new(at + 1, self.cur.pos);
                if self.cur.peek() == Some(b'(') && self.starts_call()? {
                    self.cur.bump(1);
                    let args = self.call_arguments()?;
                    accessors.push(Accessor::Method {
                        kind: MethodKind::of(name),
                        name: name.into(),
                        const_args: ConstArgs::of(&args),
                        args,
                        span,
                    });
                } else {
                    accessors.push(Accessor::Property {
                        name: name.into(),
                        hash: name_hash(name),
                        span,
                    });
                }
            } else if self.cur.peek() == Some(b'[') {
                self.cur.bump(1);
                let index = self.value(Place::Index)?;
                self.expect(Token::RBracket, "']' to close the index")?;
                accessors.push(Accessor::Index {
                    index,
                    span: Span::new(at, self.cur.pos),
                });
            } else {
                break;
            }
        }
        Ok(accessors)
    }

    /// Whether the `(` at the cursor opens a method call's arguments.
    /// Velocity 1.7 looks at what follows it (`LOOKAHEAD(3)` on `Method`):
    /// what cannot start an argument makes the reference end at the
    /// property and the `(` text, as after `$a.b(#set(...)`, which renders
    /// `$a.b(`. Its lexer stays in the call's state though, where `,`,
    /// `]`, `:`, `}` and `..` are tokens no template text may be: a parse
    /// error. Anything else makes it a call, whose arguments must parse.
    fn starts_call(&self) -> Result<bool, Error> {
        let after = self.cur.peek_at(1);
        let next = self.cur.peek_at(2);
        // `.` starts a number (`.5`), a name (`.b`, text) or nothing.
        let bad_dot = after == Some(b'.') && !next.is_some_and(|c| c.is_ascii_alphanumeric());
        if matches!(after, Some(b',' | b']' | b':' | b'}')) || bad_dot {
            return Err(Error::syntax(
                "expected a method argument or ')' after '('",
                Span::new(self.cur.pos + 1, self.cur.pos + 2),
            ));
        }
        // Blanks and then `#set(` are one token (SET_DIRECTIVE).
        let blanks = self.cur.rest().as_bytes()[1..]
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        if blanks > 0 && self.at_set_directive(self.cur.pos + 1 + blanks) {
            return Ok(false);
        }
        Ok(match after {
            // The end of the template: no call, `(` is text.
            None | Some(b'#') => false,
            Some(b'.') => next.is_some_and(|c| c.is_ascii_digit()),
            _ => true,
        })
    }

    /// A method call's arguments up to its `)` (the cursor is past the `(`):
    /// Velocity's `[Parameter (, Parameter)*] )`. As there, blanks start an
    /// argument, so `$a.b( )` is an error.
    fn call_arguments(&mut self) -> Result<Vec<Expr>, Error> {
        let mut args = Vec::new();
        if self.cur.eat(")") {
            return Ok(args);
        }
        let saved = std::mem::replace(&mut self.in_call, true);
        let result = loop {
            match self.value(Place::Parameter) {
                Ok(arg) => args.push(arg),
                Err(e) => break Err(e),
            }
            match next_token(&mut self.cur) {
                Ok((Token::RParen, _)) => break Ok(args),
                Ok((Token::Comma, _)) => {}
                Ok((tok, span)) => {
                    break Err(Error::syntax(
                        format!(
                            "expected ',' or ')' to close the method call, found {}",
                            tok.describe()
                        ),
                        span,
                    ));
                }
                Err(e) => break Err(e),
            }
        };
        self.in_call = saved;
        result
    }

    // ----- expressions ------------------------------------------------

    fn peek_token(&mut self) -> Result<(Token<'s>, Span), Error> {
        let save = self.cur.pos;
        let t = next_token(&mut self.cur);
        self.cur.pos = save;
        t
    }

    fn expect(&mut self, want: Token<'static>, what: &str) -> Result<Span, Error> {
        let (tok, span) = next_token(&mut self.cur)?;
        if tok == want {
            Ok(span)
        } else {
            Err(Error::syntax(
                format!("expected {what}, found {}", tok.describe()),
                span,
            ))
        }
    }

    fn expect_token(&mut self, ok: impl Fn(&Token) -> bool, what: &str) -> Result<(), Error> {
        let (tok, span) = self.peek_token()?;
        if ok(&tok) {
            self.cur.skip_whitespace();
            Ok(())
        } else {
            Err(Error::syntax(
                format!("expected {what}, found {}", tok.describe()),
                span,
            ))
        }
    }

    fn expect_lparen(&mut self, directive: &str) -> Result<(), Error> {
        self.at_lparen();
        if self.cur.eat("(") {
            Ok(())
        } else {
            Err(Error::syntax(
                format!("expected '(' after #{directive}"),
                self.here(),
            ))
        }
    }

    /// The `)` that closes a directive's arguments.
    fn expect_rparen(&mut self) -> Result<(), Error> {
        self.expect(Token::RParen, "')'")?;
        Ok(())
    }

    /// `( expr )` followed by the rest of the line if it is blank.
    fn paren_expr(&mut self, directive: &str, span: Span) -> Result<Expr, Error> {
        self.enter(span)?;
        self.expect_lparen(directive)?;
        let e = self.expr()?;
        self.expect_rparen()?;
        self.cur.eat_line_end();
        self.leave();
        Ok(e)
    }

    fn expr(&mut self) -> Result<Expr, Error> {
        let span = self.here();
        self.enter(span)?;
        let e = self.binary(0);
        self.leave();
        e
    }

    /// Precedence climbing over Velocity's operator levels:
    /// `||` < `&&` < `== !=` < `< <= > >=` < `+ -` < `* / %`.
    fn binary(&mut self, level: usize) -> Result<Expr, Error> {
        const LEVELS: &[&[(&str, BinaryOp)]] = &[
            &[("||", BinaryOp::Or)],
            &[("&&", BinaryOp::And)],
            &[("==", BinaryOp::Eq), ("!=", BinaryOp::Ne)],
            &[
                ("<", BinaryOp::Lt),
                ("<=", BinaryOp::Le),
                (">", BinaryOp::Gt),
                (">=", BinaryOp::Ge),
            ],
            &[("+", BinaryOp::Add), ("-", BinaryOp::Sub)],
            &[
                ("*", BinaryOp::Mul),
                ("/", BinaryOp::Div),
                ("%", BinaryOp::Mod),
            ],
        ];
        let Some(ops) = LEVELS.get(level) else {
            return self.unary();
        };
        let mut left = self.binary(level + 1)?;
        loop {
            let (tok, span) = self.peek_token()?;
            let Token::Op(sym) = tok else { break };
            let Some(&(_, op)) = ops.iter().find(|(s, _)| *s == sym) else {
                break;
            };
            next_token(&mut self.cur)?;
            let right = self.binary(level + 1)?;
            let blanks = self
                .cur
                .rest()
                .bytes()
                .take_while(u8::is_ascii_whitespace)
                .count();
            left = Expr::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
                span,
                literal: Span::new(span.end as usize, self.cur.pos + blanks),
            };
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, Error> {
        let (tok, span) = self.peek_token()?;
        if tok == Token::Not {
            next_token(&mut self.cur)?;
            self.enter(span)?;
            let operand = self.unary();
            self.leave();
            return Ok(Expr::Unary {
                op: UnaryOp::Not,
                operand: Box::new(operand?),
            });
        }
        self.value(Place::Expression)
    }

    /// A value (no operators except inside `( … )`) as written at `place`.
    fn value(&mut self, place: Place) -> Result<Expr, Error> {
        let (tok, span) = self.peek_token()?;
        self.enter(span)?;
        let e = self.value_inner(place, tok, span);
        self.leave();
        e
    }

    fn value_inner(&mut self, place: Place, tok: Token<'s>, span: Span) -> Result<Expr, Error> {
        let allowed = match tok {
            Token::Dollar | Token::Str { .. } | Token::Int(_) | Token::Word("true" | "false") => {
                true
            }
            Token::Float(_) | Token::LBracket | Token::LBrace => place != Place::Index,
            Token::LParen => place == Place::Expression,
            // A runt reference: Velocity evaluates it to null.
            Token::Word(_) if self.in_call && place == Place::Parameter => {
                next_token(&mut self.cur)?;
                return Ok(Expr::Literal(Literal::Null));
            }
            _ => false,
        };
        if !allowed {
            let what = match place {
                Place::Expression => {
                    "a value (a reference, literal, list, map, range or parenthesis)"
                }
                Place::Parameter | Place::DirectiveArg => {
                    "a value (a reference, literal, list, map or range)"
                }
                Place::Index => "an index (a reference, integer, string or boolean)",
            };
            return Err(Error::syntax(
                format!("expected {what}, found {}", tok.describe()),
                span,
            ));
        }
        if tok == Token::Dollar {
            self.cur.skip_whitespace();
            return match self.reference(0)? {
                Some(r) => Ok(Expr::Reference(Box::new(r))),
                None => Err(Error::syntax("expected a reference name after '$'", span)),
            };
        }
        next_token(&mut self.cur)?;
        match tok {
            Token::Int(i) => Ok(Expr::Literal(Literal::Int(i))),
            Token::Float(f) => Ok(Expr::Literal(Literal::Float(f))),
            Token::Word("true") => Ok(Expr::Literal(Literal::Bool(true))),
            Token::Word("false") => Ok(Expr::Literal(Literal::Bool(false))),
            Token::Str { raw, double } => self.string(raw, double, span),
            Token::LParen => {
                let inside = self.cur.pos;
                let mut e = self.expr()?;
                let close = self.expect(Token::RParen, "')' to close the parenthesis")?;
                if let Expr::Binary { literal, .. } = &mut e {
                    *literal = Span::new(inside, close.start as usize);
                }
                Ok(e)
            }
            Token::LBracket => {
                if self.cur.eat("]") {
                    return Ok(Expr::List(Vec::new()));
                }
                // `[a..b]` when the first item is a reference or an integer
                // followed by `..`; both ends must be one of those.
                let (first_tok, _) = self.peek_token()?;
                let first = self.value(Place::Parameter)?;
                if matches!(first_tok, Token::Dollar | Token::Int(_))
                    && self.peek_token()?.0 == Token::DotDot
                {
                    next_token(&mut self.cur)?;
                    let (to_tok, to_span) = self.peek_token()?;
                    if !matches!(to_tok, Token::Dollar | Token::Int(_)) {
                        return Err(Error::syntax(
                            format!(
                                "expected a reference or an integer to end the range, found {}",
                                to_tok.describe()
                            ),
                            to_span,
                        ));
                    }
                    let to = self.value(Place::Parameter)?;
                    let end = self.expect(Token::RBracket, "']' to close the range")?;
                    return Ok(Expr::Range {
                        from: Box::new(first),
                        to: Box::new(to),
                        span: Span::new(span.start as usize, end.end as usize),
                    });
                }
                let mut items = vec![first];
                loop {
                    let (tok, tspan) = next_token(&mut self.cur)?;
                    match tok {
                        Token::RBracket => return Ok(Expr::List(items)),
                        Token::Comma => items.push(self.value(Place::Parameter)?),
                        other => {
                            return Err(Error::syntax(
                                format!(
                                    "expected ',' or ']' in the list, found {}",
                                    other.describe()
                                ),
                                tspan,
                            ));
                        }
                    }
                }
            }
            Token::LBrace => {
                let mut entries = Vec::new();
                let (next, _) = self.peek_token()?;
                if next == Token::RBrace {
                    next_token(&mut self.cur)?;
                    return Ok(Expr::Map(entries));
                }
                loop {
                    let key = self.value(Place::Parameter)?;
                    self.expect(Token::Colon, "':' between a map key and its value")?;
                    let value = self.value(Place::Parameter)?;
                    entries.push((key, value));
                    let (tok, tspan) = next_token(&mut self.cur)?;
                    match tok {
                        Token::RBrace => return Ok(Expr::Map(entries)),
                        Token::Comma => {}
                        other => {
                            return Err(Error::syntax(
                                format!(
                                    "expected ',' or '}}' in the map, found {}",
                                    other.describe()
                                ),
                                tspan,
                            ));
                        }
                    }
                }
            }
            other => Err(Error::syntax(
                format!(
                    "expected a value (a reference, literal, list or map), found {}",
                    other.describe()
                ),
                span,
            )),
        }
    }

    /// A string literal. Double-quoted strings with `$` or `#` are templates
    /// of their own (`runtime.interpolate.string.literals = true`).
    fn string(&mut self, raw: &'s str, double: bool, span: Span) -> Result<Expr, Error> {
        let quote = if double { "\"\"" } else { "''" };
        if !double || !(raw.contains('$') || raw.contains('#')) {
            let text = unicode_unescape(&raw.replace(quote, &quote[..1]));
            return Ok(Expr::Literal(Literal::Str(text.into())));
        }
        let content_start = span.start as usize + 1;
        let content_end = content_start + raw.len();
        let mut sub = Parser {
            cur: Cursor {
                src: self.cur.src.get(..content_end).unwrap_or(""),
                pos: content_start,
            },
            macros: Vec::new(),
            depth: self.depth,
            max_depth: self.max_depth,
            syntax: self.syntax,
            in_call: false,
            word_arg_calls: Vec::new(),
            in_string: true,
            stray_prefix: None,
            ref_state: None,
        };
        let (mut parts, term) = sub.block(None)?;
        match term {
            Terminator::Eof => {}
            Terminator::End(s) | Terminator::Else(s) | Terminator::ElseIf(_, s) => {
                return Err(Error::syntax(
                    "unexpected #end/#else inside a string: the directive it closes is not in the string",
                    s,
                ));
            }
        }
        for m in sub.macros {
            if !self.macros.iter().any(|d| d.name == m.name) {
                self.macros.push(m);
            }
        }
        self.word_arg_calls.extend(sub.word_arg_calls);
        for part in &mut parts {
            if let Node::Text(t) = part
                && (t.contains(quote) || t.contains("\\u"))
            {
                *t = unicode_unescape(&t.replace(quote, "\"")).into();
            }
        }
        Ok(Expr::Interpolated { parts, span })
    }
}

fn unreachable_eof(span: Span) -> Result<(), Error> {
    Err(Error::syntax(
        "expected #end before the end of the template",
        span,
    ))
}

/// Velocity 1.7 turns `\\uXXXX` in string literals into the character.
fn unicode_unescape(s: &str) -> String {
    if !s.contains("\\u") {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("\\u") {
        out.push_str(&rest[..i]);
        let hex = rest
            .get(i + 2..i + 6)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        match hex
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32)
        {
            Some(c) => {
                out.push(c);
                rest = &rest[i + 6..];
            }
            None => {
                out.push_str("\\u");
                rest = &rest[i + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn flush(text: &mut String, nodes: &mut Block) {
    if !text.is_empty() {
        nodes.push(Node::Text(std::mem::take(text).into()));
    }
}
