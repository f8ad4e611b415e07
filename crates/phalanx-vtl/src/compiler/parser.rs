//! The parser: source text → [`Block`] plus the macros the template defines.
//!
//! It follows Velocity 1.7's grammar (`Parser.jjt`), including its whitespace
//! rules: a directive's closing `)` swallows the rest of its line when only
//! spaces or tabs follow, and so do `#else` and `#end`; `##` comments swallow
//! their newline.

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
    };
    let (body, term) = parser.block(None)?;
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

struct Parser<'s, 'm> {
    cur: Cursor<'s>,
    macros: Vec<MacroDef>,
    depth: usize,
    max_depth: usize,
    syntax: &'m Syntax<'m>,
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
        let mut nodes = Vec::new();
        let mut text = String::new();
        loop {
            let Some(c) = self.cur.peek() else {
                flush(&mut text, &mut nodes);
                if let Some((name, span)) = opened {
                    return Err(Error::syntax(
                        format!("#{name} is never closed: expected #end before the end of the template"),
                        span,
                    ));
                }
                return Ok((nodes, Terminator::Eof));
            };
            match c {
                b'$' => {
                    if let Some(r) = self.reference(0)? {
                        flush(&mut text, &mut nodes);
                        nodes.push(Node::Reference(Box::new(r)));
                    } else {
                        text.push('$');
                        self.cur.bump(1);
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
                    let n = rest
                        .find(['$', '#', '\\'])
                        .unwrap_or(rest.len());
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
                    nodes.push(Node::Reference(Box::new(r)));
                } else {
                    text.push_str(&"\\".repeat(n));
                }
            }
            Some(b'#') => {
                // `\#if` prints `#if`; `\\#if` prints `\` and runs the directive.
                let save = self.cur.pos;
                self.cur.bump(1);
                let at = self.cur.eat("@");
                let curly = !at && self.cur.eat("{");
                let name = self.cur.directive_name();
                let known = name.is_some_and(|w| {
                    (!at && self.is_directive(w)) || self.is_macro(w)
                }) && (!curly || self.cur.peek() == Some(b'}'));
                self.cur.pos = save;
                if known {
                    text.push_str(&"\\".repeat(n / 2));
                    if n % 2 == 1 {
                        // The escaped directive's own text is literal; what
                        // follows it is scanned as ordinary text.
                        let len = 1 + usize::from(at) + usize::from(curly) * 2 + name.map_or(0, str::len);
                        text.push_str(self.cur.rest().get(..len).unwrap_or("#"));
                        self.cur.bump(len);
                    }
                } else {
                    text.push_str(&"\\".repeat(n));
                }
            }
            _ => text.push_str(self.cur.src.get(start..self.cur.pos).unwrap_or("")),
        }
        Ok(())
    }

    /// Something starting with `#`. Returns a terminator when the block ends.
    fn hash(&mut self, text: &mut String, nodes: &mut Block) -> Result<Option<Terminator>, Error> {
        let start = self.cur.pos;
        if self.cur.starts_with("##") || self.cur.starts_with("#*") {
            // A comment ends the text before it (it is a token of its own,
            // which matters for the blanks before a `#set`).
            flush(text, nodes);
        }
        if self.cur.starts_with("##") {
            // A line comment swallows its newline.
            let rest = self.cur.rest();
            let n = rest.find('\n').map_or(rest.len(), |i| i + 1);
            self.cur.bump(n);
            return Ok(None);
        }
        if self.cur.starts_with("#*") {
            let rest = self.cur.rest();
            match rest.get(2..).and_then(|r| r.find("*#")) {
                Some(i) => self.cur.bump(i + 4),
                None => {
                    return Err(Error::syntax(
                        "unterminated comment: expected '*#' to close this '#*'",
                        Span::new(start, start + 2),
                    ));
                }
            }
            return Ok(None);
        }
        if self.cur.starts_with("#[[") {
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
            return Ok(None);
        }

        self.cur.bump(1);
        let block_call = self.cur.eat("@");
        let curly = !block_call && self.cur.eat("{");
        let Some(name) = self.cur.directive_name() else {
            self.cur.pos = start;
            text.push('#');
            self.cur.bump(1);
            return Ok(None);
        };
        if curly && !self.cur.eat("}") {
            self.cur.pos = start;
            text.push('#');
            self.cur.bump(1);
            return Ok(None);
        }
        let name_end = self.cur.pos;
        let span = Span::new(start, name_end);
        if block_call {
            let save = self.cur.pos;
            self.skip_blanks();
            let has_args = self.cur.peek() == Some(b'(');
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
            // A macro call needs its '(' (spaces before it are allowed);
            // otherwise `#name` is just text.
            let save = self.cur.pos;
            self.skip_blanks();
            // A macro already known when parsing may be called without
            // parentheses (`#m`), as in Velocity 1.7.
            if self.cur.peek() == Some(b'(') || self.is_macro(name) {
                self.cur.pos = save;
                flush(text, nodes);
                let node = self.macro_call(name, start, false)?;
                nodes.push(node);
            } else {
                self.cur.pos = save;
                text.push_str(self.cur.src.get(start..name_end).unwrap_or(""));
            }
            return Ok(None);
        }
        if name == "set" {
            // `#set` needs its '('; `#set` alone is text.
            let save = self.cur.pos;
            self.skip_blanks();
            if self.cur.peek() != Some(b'(') {
                self.cur.pos = save;
                text.push_str(self.cur.src.get(start..name_end).unwrap_or(""));
                return Ok(None);
            }
            self.cur.pos = save;
        }
        flush(text, nodes);
        self.enter(span)?;
        let node = self.directive(name, span);
        self.leave();
        if let Some(node) = node? {
            nodes.push(node);
        }
        Ok(None)
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
        let Some(after) = rest.strip_prefix("#set").or_else(|| rest.strip_prefix("#{set}")) else {
            return false;
        };
        after.trim_start_matches([' ', '\t']).starts_with('(')
    }

    fn skip_blanks(&mut self) {
        while matches!(self.cur.peek(), Some(b' ' | b'\t')) {
            self.cur.bump(1);
        }
    }

    /// A known directive other than the terminators.
    fn directive(&mut self, name: &str, span: Span) -> Result<Option<Node>, Error> {
        match name {
            "set" => {
                self.expect_lparen("set")?;
                self.expect_token(|t| matches!(t, Token::Dollar), "a reference like $name")?;
                let target = self.reference(0)?.ok_or_else(|| {
                    Error::syntax("#set needs a reference to assign to, like #set($name = …)", span)
                })?;
                self.expect(Token::Assign, "'=' after the #set target")?;
                let value = self.expr()?;
                self.expect_rparen()?;
                self.cur.eat_line_end();
                Ok(Some(Node::Set {
                    target: Box::new(target),
                    value,
                    span,
                }))
            }
            "if" => {
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
                            let (body, term) = self.block(Some(("else", else_span)))?;
                            match term {
                                Terminator::End(_) => {
                                    otherwise = Some(body);
                                    break;
                                }
                                Terminator::Else(s) | Terminator::ElseIf(_, s) => {
                                    return Err(Error::syntax(
                                        "#else/#elseif after #else: expected #end",
                                        s,
                                    ));
                                }
                                Terminator::Eof => unreachable_eof(else_span)?,
                            }
                        }
                        Terminator::Eof => unreachable_eof(span)?,
                    }
                }
                Ok(Some(Node::If {
                    branches,
                    otherwise,
                }))
            }
            "foreach" => {
                self.expect_lparen("foreach")?;
                self.expect_token(|t| matches!(t, Token::Dollar), "the loop variable, like $item")?;
                let var = self.reference(0)?.ok_or_else(|| {
                    Error::syntax("#foreach needs a loop variable: #foreach($item in $list)", span)
                })?;
                if !var.accessors.is_empty() {
                    return Err(Error::syntax(
                        "the #foreach loop variable must be a plain name like $item",
                        var.span,
                    ));
                }
                self.expect(Token::Word("in"), "'in' after the loop variable")?;
                let iterable = self.expr()?;
                self.expect_rparen()?;
                self.cur.eat_line_end();
                let body = self.body("foreach", span)?;
                Ok(Some(Node::Foreach(Box::new(Foreach {
                    var: Arc::from(var.root),
                    iterable,
                    body,
                    span,
                }))))
            }
            "break" | "stop" => {
                let save = self.cur.pos;
                self.skip_blanks();
                if self.cur.peek() == Some(b'(') {
                    self.expect_lparen(name)?;
                    let (tok, _) = self.peek_token()?;
                    if tok != Token::RParen {
                        self.expr()?;
                    }
                    self.expect_rparen()?;
                    self.cur.eat_line_end();
                } else {
                    self.cur.pos = save;
                }
                Ok(Some(if name == "break" {
                    Node::Break(span)
                } else {
                    Node::Stop
                }))
            }
            "define" => {
                self.expect_lparen("define")?;
                self.expect_token(|t| matches!(t, Token::Dollar), "a reference like $name")?;
                let target = self.reference(0)?.ok_or_else(|| {
                    Error::syntax("#define needs a name: #define($name) … #end", span)
                })?;
                self.expect_rparen()?;
                self.cur.eat_line_end();
                let body = self.body("define", span)?;
                Ok(Some(Node::Define {
                    name: target.root,
                    body: Arc::new(body),
                }))
            }
            "evaluate" => {
                let expr = self.paren_expr("evaluate", span)?;
                Ok(Some(Node::Evaluate { expr, span }))
            }
            "macro" => {
                self.expect_lparen("macro")?;
                let (tok, tspan) = next_token(&mut self.cur)?;
                let Token::Word(macro_name) = tok else {
                    return Err(Error::syntax(
                        format!("expected the macro's name after #macro(, found {}", tok.describe()),
                        tspan,
                    ));
                };
                let mut params = Vec::new();
                loop {
                    let (tok, tspan) = self.peek_token()?;
                    match tok {
                        Token::RParen => break,
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
                Ok(None)
            }
            "literal" => {
                let save = self.cur.pos;
                self.skip_blanks();
                if self.cur.peek() == Some(b'(') {
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
                let raw = self.cur.src.get(body_start..end_span.start as usize).unwrap_or("");
                Ok(Some(Node::Text(raw.into())))
            }
            "include" | "parse" => {
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
                        _ => args.push(self.primary()?),
                    }
                }
                self.expect_rparen()?;
                self.cur.eat_line_end();
                Ok(Some(Node::Unsupported {
                    directive: name.into(),
                    args,
                    span,
                }))
            }
            _ => Err(Error::syntax(format!("unknown directive #{name}"), span)),
        }
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
        self.skip_blanks();
        let mut args = Vec::new();
        if self.cur.peek() == Some(b'(') {
            self.expect_lparen(name)?;
            loop {
                let (tok, _) = self.peek_token()?;
                match tok {
                    Token::RParen => break,
                    Token::Comma => {
                        next_token(&mut self.cur)?;
                    }
                    _ => args.push(Arc::new(self.primary()?)),
                }
            }
            self.expect_rparen()?;
        }
        let call_end = self.cur.pos;
        self.cur.eat_line_end();
        let literal: Box<str> = self.cur.src.get(start..call_end).unwrap_or("").into();
        let body = if block {
            Some(Arc::new(self.body(&format!("@{name}"), span)?))
        } else {
            None
        };
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
            self.cur.pos = start;
            return Ok(None);
        }
        Ok(Some(Reference {
            root: root.into(),
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
                if self.cur.peek() == Some(b'(') {
                    self.cur.bump(1);
                    // Like Velocity 1.7, a call whose arguments do not parse
                    // is not a call: the reference ends before it and the
                    // rest is text (`$a.b(#set(...)` renders `$a.b(`).
                    let Ok(args) = self.arguments(Token::RParen, "')' to close the method call") else {
                        self.cur.pos = at;
                        break;
                    };
                    accessors.push(Accessor::Method {
                        name: name.into(),
                        args,
                        span,
                    });
                } else {
                    accessors.push(Accessor::Property {
                        name: name.into(),
                        span,
                    });
                }
            } else if self.cur.peek() == Some(b'[') {
                self.cur.bump(1);
                let index = self.expr()?;
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

    /// Comma-separated expressions up to `close` (already past the opener).
    fn arguments(&mut self, close: Token<'static>, what: &str) -> Result<Vec<Expr>, Error> {
        let mut args = Vec::new();
        let (tok, _) = self.peek_token()?;
        if tok == close {
            next_token(&mut self.cur)?;
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            let (tok, span) = next_token(&mut self.cur)?;
            if tok == close {
                return Ok(args);
            }
            if tok != Token::Comma {
                return Err(Error::syntax(
                    format!("expected ',' or {what}, found {}", tok.describe()),
                    span,
                ));
            }
        }
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
        self.skip_blanks();
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
            &[("*", BinaryOp::Mul), ("/", BinaryOp::Div), ("%", BinaryOp::Mod)],
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
            left = Expr::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
                span,
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
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, Error> {
        let (tok, span) = self.peek_token()?;
        self.enter(span)?;
        let e = self.primary_inner(tok, span);
        self.leave();
        e
    }

    fn primary_inner(&mut self, tok: Token<'s>, span: Span) -> Result<Expr, Error> {
        if tok == Token::Dollar {
            self.cur.skip_whitespace();
            return match self.reference(0)? {
                Some(r) => Ok(Expr::Reference(Box::new(r))),
                None => Err(Error::syntax(
                    "expected a reference name after '$'",
                    span,
                )),
            };
        }
        next_token(&mut self.cur)?;
        match tok {
            Token::Int(i) => Ok(Expr::Literal(Literal::Int(i))),
            Token::Float(f) => Ok(Expr::Literal(Literal::Float(f))),
            Token::Word("true") => Ok(Expr::Literal(Literal::Bool(true))),
            Token::Word("false") => Ok(Expr::Literal(Literal::Bool(false))),
            Token::Word("null") => Ok(Expr::Literal(Literal::Null)),
            // A bare word, as Velocity allows among macro arguments.
            Token::Word(w) if w != "in" => Ok(Expr::Literal(Literal::Str(w.into()))),
            Token::Str { raw, double } => self.string(raw, double, span),
            Token::LParen => {
                let e = self.expr()?;
                self.expect(Token::RParen, "')' to close the parenthesis")?;
                Ok(e)
            }
            Token::LBracket => {
                let (next, _) = self.peek_token()?;
                if next == Token::RBracket {
                    next_token(&mut self.cur)?;
                    return Ok(Expr::List(Vec::new()));
                }
                let first = self.expr()?;
                let (next, _) = self.peek_token()?;
                if next == Token::DotDot {
                    next_token(&mut self.cur)?;
                    let to = self.expr()?;
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
                        Token::Comma => items.push(self.expr()?),
                        other => {
                            return Err(Error::syntax(
                                format!("expected ',' or ']' in the list, found {}", other.describe()),
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
                    let key = self.expr()?;
                    self.expect(Token::Colon, "':' between a map key and its value")?;
                    let value = self.expr()?;
                    entries.push((key, value));
                    let (tok, tspan) = next_token(&mut self.cur)?;
                    match tok {
                        Token::RBrace => return Ok(Expr::Map(entries)),
                        Token::Comma => {}
                        other => {
                            return Err(Error::syntax(
                                format!("expected ',' or '}}' in the map, found {}", other.describe()),
                                tspan,
                            ));
                        }
                    }
                }
            }
            other => Err(Error::syntax(
                format!("expected a value (a reference, literal, list or map), found {}", other.describe()),
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
        for part in &mut parts {
            if let Node::Text(t) = part {
                if t.contains(quote) || t.contains("\\u") {
                    *t = unicode_unescape(&t.replace(quote, "\"")).into();
                }
            }
        }
        Ok(Expr::Interpolated { parts, span })
    }
}

fn unreachable_eof(span: Span) -> Result<(), Error> {
    Err(Error::syntax("expected #end before the end of the template", span))
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
        let hex = rest.get(i + 2..i + 6).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        match hex.and_then(|h| u32::from_str_radix(h, 16).ok()).and_then(char::from_u32) {
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
