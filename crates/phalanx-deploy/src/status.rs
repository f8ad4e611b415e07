//! `status`: what the stack is — its status and reason, when it last
//! changed, its outputs and its last events.

use crate::aws::{Aws, failed};
use crate::events::event_columns;
use crate::{Error, stack};

/// The exit code of `status` when the stack does not exist (documented in
/// the GUIDE), so scripts can tell "not deployed" from a failure.
pub const STACK_MISSING: u8 = 3;

/// How many of the latest events `status` shows.
const EVENTS_SHOWN: usize = 10;

/// Prints the stack's status, outputs and last events to standard output.
/// A missing stack is an error whose exit code is [`STACK_MISSING`].
pub async fn status(aws: &Aws, stack_name: &str) -> Result<(), Error> {
    let Some(found) = stack::find(&aws.cloudformation, stack_name).await? else {
        return Err(Error::new(format!(
            "stack {stack_name} does not exist in {} (deploy it with `provision`)",
            aws.region
        ))
        .with_exit_code(STACK_MISSING));
    };
    let status = stack::status_of(&found);
    println!("Stack:        {stack_name}");
    match found.stack_status_reason() {
        Some(reason) if !reason.is_empty() => println!("Status:       {status} ({reason})"),
        _ => println!("Status:       {status}"),
    }
    let updated = found.last_updated_time().or(found.creation_time());
    if let Some(time) = updated {
        let label = if found.last_updated_time().is_some() {
            "Last updated"
        } else {
            "Created"
        };
        println!(
            "{label}: {}{}",
            " ".repeat(12usize.saturating_sub(label.len())),
            time.fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime)
                .unwrap_or_default()
        );
    }
    if let Some(id) = found.stack_id() {
        println!("Id:           {id}");
    }
    let outputs = stack::outputs(&found);
    if !outputs.is_empty() {
        println!("Outputs:");
        for (k, v) in &outputs {
            println!("  {k} = {v}");
        }
    }
    let events = aws
        .cloudformation
        .describe_stack_events()
        .stack_name(stack_name)
        .send()
        .await
        .map_err(failed(format!(
            "cannot read the events of stack {stack_name}"
        )))?
        .stack_events
        .unwrap_or_default();
    if !events.is_empty() {
        println!("Last events (newest last):");
        let shown = &events[..events.len().min(EVENTS_SHOWN)];
        for event in shown.iter().rev() {
            let time = event
                .timestamp()
                .and_then(|t| {
                    t.fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime)
                        .ok()
                })
                .unwrap_or_default();
            let line = event_columns(
                event.resource_status().map_or("", |s| s.as_str()),
                event.logical_resource_id().unwrap_or_default(),
                event.resource_type().unwrap_or_default(),
                event.resource_status_reason().unwrap_or_default(),
            );
            println!("  {time}  {line}");
        }
    }
    Ok(())
}
