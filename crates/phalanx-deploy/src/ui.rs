//! Talking to the person at the terminal: confirmation, and the rule that
//! a command never waits for an answer nobody can give.

use crate::Error;
use std::io::{BufRead, IsTerminal, Write};

/// Fails unless `--yes` was given or standard input is a terminal (where
/// [`confirm`] can ask): CI and scripts get an error that says what to
/// pass, never a prompt that hangs.
pub(crate) fn require_yes_or_terminal(yes: bool, what: &str) -> Result<(), Error> {
    if yes || std::io::stdin().is_terminal() {
        Ok(())
    } else {
        Err(Error::new(format!(
            "standard input is not a terminal, so {what} cannot ask for confirmation: pass --yes to {what} without asking"
        )))
    }
}

/// Asks `question` on the terminal; `true` for y/yes. With `yes` set, does
/// not ask.
pub(crate) fn confirm(yes: bool, question: &str) -> Result<bool, Error> {
    if yes {
        return Ok(true);
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::new(format!("cannot read the answer: {e}")))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
