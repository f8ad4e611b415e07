//! The lexer: a cursor over the source plus the tokenizer for expressions
//! (directive and method arguments).
//!
//! VTL is context-sensitive, like JavaCC's lexical states in Velocity's own
//! grammar: in text, only `$`, `#` and `\` mean anything, so the parser scans
//! text itself with the [`Cursor`]; inside `( … )` it asks for [`Token`]s.
//! References (`$a.b(…)`) are read by the parser in both states, because their
//! grammar is the same in text and in expressions.

use crate::error::{Error, Span};

/// A position in the source with the helpers both lexical states need.
#[derive(Debug, Clone)]
pub struct Cursor<'s> {
    pub src: &'s str,
    pub pos: usize,
}

impl<'s> Cursor<'s> {
    pub fn new(src: &'s str) -> Self {
        Cursor { src, pos: 0 }
    }

    /// The unread rest of the source.
    pub fn rest(&self) -> &'s str {
        self.src.get(self.pos..).unwrap_or("")
    }

    /// The byte at the cursor (all VTL syntax is ASCII).
    pub fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    /// The byte `n` bytes ahead of the cursor.
    pub fn peek_at(&self, n: usize) -> Option<u8> {
        self.src.as_bytes().get(self.pos + n).copied()
    }

    pub fn starts_with(&self, s: &str) -> bool {
        self.rest().starts_with(s)
    }

    /// Advances by `n` bytes (callers only skip ASCII they have peeked).
    pub fn bump(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.src.len());
    }

    /// Consumes `s` if the source continues with it.
    pub fn eat(&mut self, s: &str) -> bool {
        if self.starts_with(s) {
            self.bump(s.len());
            true
        } else {
            false
        }
    }

    /// Skips spaces, tabs and newlines.
    pub fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Consumes `[ \t]*` followed by one newline (`\n`, `\r\n` or `\r`) if the
    /// line ends there — the whitespace Velocity 1.7 swallows after a directive.
    pub fn eat_line_end(&mut self) -> bool {
        let save = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        if self.eat("\r\n") || self.eat("\n") || self.eat("\r") {
            true
        } else {
            self.pos = save;
            false
        }
    }

    /// Reads an identifier (`[A-Za-z_][A-Za-z0-9_-]*`, Velocity 1.7's
    /// reference identifier) and returns it, or `None` without moving.
    pub fn identifier(&mut self) -> Option<&'s str> {
        self.word(b'-')
    }

    /// Reads a directive or macro name (`[A-Za-z_][A-Za-z0-9_@]*`,
    /// Velocity 1.7's WORD: `#end@` is no `#end`).
    pub fn directive_name(&mut self) -> Option<&'s str> {
        self.word(b'@')
    }

    /// A letter or `_`, then letters, digits, `_` and `extra`.
    fn word(&mut self, extra: u8) -> Option<&'s str> {
        let start = self.pos;
        match self.peek() {
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => self.pos += 1,
            _ => return None,
        }
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == b'_' || c == extra {
                self.pos += 1;
            } else {
                break;
            }
        }
        self.src.get(start..self.pos)
    }
}

/// A token inside `( … )`, `[ … ]` or `{ … }` of an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Token<'s> {
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Colon,
    DotDot,
    /// `=` in `#set`.
    Assign,
    /// `==`, `!=`, `<`, `&&`, `+`, … and their word forms.
    Op(&'static str),
    /// `!` / `not`.
    Not,
    Int(i64),
    Float(f64),
    /// A quoted string: its raw content between the quotes, and whether it
    /// was double-quoted (and so is interpolated).
    Str {
        raw: &'s str,
        double: bool,
    },
    /// `true`, `false`, `in`, or any other bare word.
    Word(&'s str),
    /// `$`: the parser reads the reference.
    Dollar,
    Eof,
}

impl Token<'_> {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Token::LParen => "'('".into(),
            Token::RParen => "')'".into(),
            Token::LBracket => "'['".into(),
            Token::RBracket => "']'".into(),
            Token::LBrace => "'{'".into(),
            Token::RBrace => "'}'".into(),
            Token::Comma => "','".into(),
            Token::Colon => "':'".into(),
            Token::DotDot => "'..'".into(),
            Token::Assign => "'='".into(),
            Token::Op(op) => format!("'{op}'"),
            Token::Not => "'!'".into(),
            Token::Int(i) => format!("number {i}"),
            Token::Float(f) => format!("number {f}"),
            Token::Str { raw, .. } => format!("string \"{raw}\""),
            Token::Word(w) => format!("'{w}'"),
            Token::Dollar => "a reference".into(),
            Token::Eof => "the end of the template".into(),
        }
    }
}

/// Reads the next expression token, skipping whitespace first. Returns the
/// token and its span.
pub fn next_token<'s>(cur: &mut Cursor<'s>) -> Result<(Token<'s>, Span), Error> {
    cur.skip_whitespace();
    let start = cur.pos;
    let Some(c) = cur.peek() else {
        return Ok((Token::Eof, Span::new(start, start)));
    };
    let two = cur.rest().get(..2).unwrap_or("");
    let tok = match (c, two) {
        (_, "..") => {
            cur.bump(2);
            Token::DotDot
        }
        (_, "==") => op(cur, 2, "=="),
        (_, "!=") => op(cur, 2, "!="),
        (_, "<=") => op(cur, 2, "<="),
        (_, ">=") => op(cur, 2, ">="),
        (_, "&&") => op(cur, 2, "&&"),
        (_, "||") => op(cur, 2, "||"),
        (b'-', _)
            if cur
                .peek_at(1)
                .is_some_and(|d| d.is_ascii_digit() || d == b'.') =>
        {
            number(cur)?
        }
        (b'0'..=b'9', _) => number(cur)?,
        (b'.', _) if cur.peek_at(1).is_some_and(|d| d.is_ascii_digit()) => number(cur)?,
        (b'(', _) => single(cur, Token::LParen),
        (b')', _) => single(cur, Token::RParen),
        (b'[', _) => single(cur, Token::LBracket),
        (b']', _) => single(cur, Token::RBracket),
        (b'{', _) => single(cur, Token::LBrace),
        (b'}', _) => single(cur, Token::RBrace),
        (b',', _) => single(cur, Token::Comma),
        (b':', _) => single(cur, Token::Colon),
        (b'=', _) => single(cur, Token::Assign),
        (b'!', _) => single(cur, Token::Not),
        (b'<', _) => op(cur, 1, "<"),
        (b'>', _) => op(cur, 1, ">"),
        (b'+', _) => op(cur, 1, "+"),
        (b'-', _) => op(cur, 1, "-"),
        (b'*', _) => op(cur, 1, "*"),
        (b'/', _) => op(cur, 1, "/"),
        (b'%', _) => op(cur, 1, "%"),
        (b'$', _) => Token::Dollar,
        (b'"' | b'\'', _) => string(cur)?,
        _ => match cur.directive_name() {
            Some(word) => match word {
                "eq" => Token::Op("=="),
                "ne" => Token::Op("!="),
                "lt" => Token::Op("<"),
                "le" => Token::Op("<="),
                "gt" => Token::Op(">"),
                "ge" => Token::Op(">="),
                "and" => Token::Op("&&"),
                "or" => Token::Op("||"),
                "not" => Token::Not,
                _ => Token::Word(word),
            },
            None => {
                let ch = cur.rest().chars().next().unwrap_or('?');
                return Err(Error::syntax(
                    format!("unexpected character '{ch}' in an expression"),
                    Span::new(start, start + ch.len_utf8()),
                ));
            }
        },
    };
    Ok((tok, Span::new(start, cur.pos)))
}

fn single<'s>(cur: &mut Cursor<'s>, tok: Token<'s>) -> Token<'s> {
    cur.bump(1);
    tok
}

fn op<'s>(cur: &mut Cursor<'s>, len: usize, op: &'static str) -> Token<'s> {
    cur.bump(len);
    Token::Op(op)
}

/// Velocity 1.7's number literals: `-?digits` is an Integer (a Long when it
/// does not fit), and a fraction or exponent makes a Double. The sign is part
/// of the literal, so `5-2` lexes as `5` `-2` — a syntax error, as in 1.7.
fn number<'s>(cur: &mut Cursor<'s>) -> Result<Token<'s>, Error> {
    let start = cur.pos;
    cur.eat("-");
    let mut is_float = false;
    while cur.peek().is_some_and(|c| c.is_ascii_digit()) {
        cur.bump(1);
    }
    // A '.' followed by another '.' is a range (`[1..3]`), not a fraction.
    if cur.peek() == Some(b'.') && cur.peek_at(1) != Some(b'.') {
        let after = cur.peek_at(1);
        if after.is_some_and(|c| c.is_ascii_digit()) || cur.pos > start {
            is_float = true;
            cur.bump(1);
            while cur.peek().is_some_and(|c| c.is_ascii_digit()) {
                cur.bump(1);
            }
        }
    }
    if matches!(cur.peek(), Some(b'e' | b'E')) {
        let save = cur.pos;
        cur.bump(1);
        if matches!(cur.peek(), Some(b'+' | b'-')) {
            cur.bump(1);
        }
        if cur.peek().is_some_and(|c| c.is_ascii_digit()) {
            is_float = true;
            while cur.peek().is_some_and(|c| c.is_ascii_digit()) {
                cur.bump(1);
            }
        } else {
            cur.pos = save;
        }
    }
    let text = cur.src.get(start..cur.pos).unwrap_or("");
    let span = Span::new(start, cur.pos);
    if is_float {
        text.parse::<f64>()
            .map(Token::Float)
            .map_err(|_| Error::syntax(format!("invalid number '{text}'"), span))
    } else {
        text.parse::<i64>().map(Token::Int).map_err(|_| {
            Error::syntax(
                format!("integer '{text}' is too large: the largest is {}", i64::MAX),
                span,
            )
        })
    }
}

/// A quoted string. As in Velocity 1.7 a backslash escapes nothing (`"a\"b"`
/// ends at the second quote), a doubled quote stands for one quote, and
/// strings may span lines.
fn string<'s>(cur: &mut Cursor<'s>) -> Result<Token<'s>, Error> {
    let start = cur.pos;
    let quote = cur.peek().unwrap_or(b'"');
    cur.bump(1);
    let content_start = cur.pos;
    loop {
        match cur.peek() {
            None => {
                return Err(Error::syntax(
                    "unterminated string: expected a closing quote",
                    Span::new(start, start + 1),
                ));
            }
            Some(c) if c == quote => {
                if cur.peek_at(1) == Some(quote) {
                    cur.bump(2);
                } else {
                    let raw = cur.src.get(content_start..cur.pos).unwrap_or("");
                    cur.bump(1);
                    return Ok(Token::Str {
                        raw,
                        double: quote == b'"',
                    });
                }
            }
            Some(_) => {
                // Step over a whole UTF-8 character.
                let len = cur.rest().chars().next().map_or(1, char::len_utf8);
                cur.bump(len);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(src: &str) -> Vec<Token<'_>> {
        let mut cur = Cursor::new(src);
        let mut out = Vec::new();
        loop {
            let (t, _) = next_token(&mut cur).unwrap();
            if t == Token::Eof {
                return out;
            }
            out.push(t);
        }
    }

    #[test]
    fn operators_and_words() {
        assert_eq!(
            tokens("( 1 == 2 ) && !x or y lt 3"),
            vec![
                Token::LParen,
                Token::Int(1),
                Token::Op("=="),
                Token::Int(2),
                Token::RParen,
                Token::Op("&&"),
                Token::Not,
                Token::Word("x"),
                Token::Op("||"),
                Token::Word("y"),
                Token::Op("<"),
                Token::Int(3)
            ]
        );
    }

    #[test]
    fn numbers_follow_velocity_1_7() {
        assert_eq!(
            tokens("[1..3]")[1..4],
            [Token::Int(1), Token::DotDot, Token::Int(3)]
        );
        assert_eq!(tokens("-2.5"), vec![Token::Float(-2.5)]);
        assert_eq!(tokens("5-2"), vec![Token::Int(5), Token::Int(-2)]);
        assert_eq!(tokens("100000000000"), vec![Token::Int(100_000_000_000)]);
        assert_eq!(tokens("1e3"), vec![Token::Float(1000.0)]);
    }

    #[test]
    fn strings_keep_escapes_and_doubled_quotes_raw() {
        assert_eq!(
            tokens(r#""a\b""c" 'd'"#),
            vec![
                Token::Str {
                    raw: r#"a\b""c"#,
                    double: true
                },
                Token::Str {
                    raw: "d",
                    double: false
                }
            ]
        );
    }

    #[test]
    fn unterminated_string_is_an_error() {
        let mut cur = Cursor::new("\"abc");
        assert!(next_token(&mut cur).is_err());
    }
}
