//! Following a stack while CloudFormation works on it: its new events,
//! each printed once (CloudFormation lists every event of the stack's
//! life, newest first, on every call), a progress bar over the resources
//! being changed, and the failed resources with their reasons.

use crate::Error;
use crate::aws::failed;
use crate::stack;
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::{Stack, StackEvent};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// A resource that failed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Its logical id.
    pub logical_id: String,
    /// Its type.
    pub resource_type: String,
    /// e.g. `UPDATE_FAILED`.
    pub status: String,
    /// CloudFormation's reason.
    pub reason: String,
}

/// Follows one stack operation.
pub struct Watcher<'a> {
    client: &'a Client,
    /// The stack's id (its ARN), which still answers after a delete.
    stack: String,
    seen: HashSet<String>,
    start: Instant,
    bar: ProgressBar,
    failures: Vec<Failure>,
}

impl<'a> Watcher<'a> {
    /// Starts following `stack` (name or id): the events it already has
    /// are not shown again. `resources` is how many resources the operation
    /// changes (the bar's length).
    pub async fn start(
        client: &'a Client,
        stack: &str,
        resources: usize,
        what: &str,
    ) -> Result<Watcher<'a>, Error> {
        let mut watcher = Watcher {
            client,
            stack: stack.to_string(),
            seen: HashSet::new(),
            start: Instant::now(),
            bar: progress_bar(resources, what),
            failures: Vec::new(),
        };
        // Events come newest first, and listing new ones stops at the
        // first seen: the newest page is all there is to remember (a stack
        // with years of history is not paged through).
        let newest = watcher.page(None).await?;
        watcher.seen.extend(
            newest
                .stack_events()
                .iter()
                .filter_map(|e| e.event_id().map(str::to_string)),
        );
        watcher.start = Instant::now();
        Ok(watcher)
    }

    /// One page of the stack's events, newest first.
    async fn page(
        &self,
        token: Option<String>,
    ) -> Result<
        aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput,
        Error,
    > {
        self.client
            .describe_stack_events()
            .stack_name(&self.stack)
            .set_next_token(token)
            .send()
            .await
            .map_err(failed(format!(
                "cannot read the events of stack {}",
                self.stack
            )))
    }

    /// The events not yet seen, oldest first. Pages are read until one
    /// holds an event already seen (they come newest first).
    async fn new_events(&self) -> Result<Vec<StackEvent>, Error> {
        let mut fresh = Vec::new();
        let mut token = None;
        loop {
            let out = self.page(token).await?;
            let mut reached_seen = false;
            for event in out.stack_events.unwrap_or_default() {
                if event.event_id().is_some_and(|id| self.seen.contains(id)) {
                    reached_seen = true;
                    continue;
                }
                fresh.push(event);
            }
            token = out.next_token;
            if reached_seen || token.is_none() {
                break;
            }
        }
        fresh.reverse();
        Ok(fresh)
    }

    /// Shows the new events; returns how many there were.
    async fn show_new_events(&mut self) -> Result<usize, Error> {
        let events = self.new_events().await?;
        for event in &events {
            if let Some(id) = event.event_id() {
                self.seen.insert(id.to_string());
            }
            let status = event.resource_status().map_or("", |s| s.as_str());
            let logical_id = event.logical_resource_id().unwrap_or_default();
            let resource_type = event.resource_type().unwrap_or_default();
            let reason = event.resource_status_reason().unwrap_or_default();
            let line = event_line(
                self.start.elapsed(),
                status,
                logical_id,
                resource_type,
                reason,
            );
            self.bar.suspend(|| eprintln!("{line}"));
            let is_stack = resource_type == "AWS::CloudFormation::Stack";
            if !is_stack
                && (status.ends_with("_COMPLETE") && !status.contains("ROLLBACK")
                    || status.ends_with("_SKIPPED"))
            {
                self.bar.inc(1);
            }
            if status.ends_with("_FAILED") && !reason.is_empty() {
                self.failures.push(Failure {
                    logical_id: logical_id.to_string(),
                    resource_type: resource_type.to_string(),
                    status: status.to_string(),
                    reason: reason.to_string(),
                });
            }
            self.bar.set_message(status.to_string());
        }
        Ok(events.len())
    }

    /// Shows events until the stack settles, and returns it with its
    /// status.
    pub async fn wait(&mut self) -> Result<Settled, Error> {
        let mut pause = Duration::from_millis(250);
        loop {
            let shown = self.show_new_events().await?;
            let stack = stack::find(self.client, &self.stack).await?;
            let settled = match &stack {
                None => true,
                Some(s) => !stack::in_progress(stack::status_of(s)),
            };
            if settled {
                // The events written as it settled.
                self.show_new_events().await?;
                self.bar.finish_and_clear();
                let status = stack
                    .as_ref()
                    .map_or("DELETE_COMPLETE", stack::status_of)
                    .to_string();
                return Ok(Settled { stack, status });
            }
            // Poll quickly while events flow, then back off to 2 s (AWS
            // operations take minutes; local servers, moments).
            pause = if shown > 0 {
                Duration::from_millis(250)
            } else {
                (pause * 2).min(Duration::from_secs(2))
            };
            tokio::time::sleep(pause).await;
        }
    }

    /// The resources that failed during the operation (the stack's own
    /// events left out: their reasons only list these).
    pub fn failures(&self) -> impl Iterator<Item = &Failure> {
        self.failures
            .iter()
            .filter(|f| f.resource_type != "AWS::CloudFormation::Stack")
    }

    /// The failures, a line each (`  Echo (AWS::Lambda::Function)
    /// UPDATE_FAILED: reason`), after a heading; empty when none failed.
    pub fn failure_report(&self) -> String {
        let mut report = String::new();
        for f in self.failures() {
            if report.is_empty() {
                report.push_str("\nfailed resources:");
            }
            report.push_str(&format!(
                "\n  {} ({}) {}: {}",
                f.logical_id, f.resource_type, f.status, f.reason
            ));
        }
        report
    }

    /// Time since the operation started.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}

/// A stack that CloudFormation has finished working on.
#[derive(Debug)]
pub struct Settled {
    /// The stack (`None` once deleted, as a deleted stack is when asked
    /// for by name).
    pub stack: Option<Stack>,
    /// Its status (`DELETE_COMPLETE` when it is gone).
    pub status: String,
}

/// A bar on standard error, drawn only on a terminal.
fn progress_bar(resources: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(resources as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix} [{elapsed}] {bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// One event as a line: `[  12.3s] CREATE_COMPLETE  Echo  AWS::Lambda::Function`,
/// the reason after it when there is one.
pub fn event_line(
    elapsed: Duration,
    status: &str,
    logical_id: &str,
    resource_type: &str,
    reason: &str,
) -> String {
    format!(
        "[{:>6.1}s] {}",
        elapsed.as_secs_f64(),
        event_columns(status, logical_id, resource_type, reason)
    )
}

/// An event's status, resource and reason in columns (what follows the
/// time in [`event_line`] and in `status`'s list).
pub fn event_columns(status: &str, logical_id: &str, resource_type: &str, reason: &str) -> String {
    let mut line = format!("{status:<28} {logical_id:<24} {resource_type}");
    if !reason.is_empty() {
        line.push_str(" — ");
        line.push_str(reason);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_line_has_time_status_resource_and_reason() {
        assert_eq!(
            event_line(
                Duration::from_millis(12_340),
                "UPDATE_FAILED",
                "Echo",
                "AWS::Lambda::Function",
                "NoSuchKey"
            ),
            "[  12.3s] UPDATE_FAILED                Echo                     AWS::Lambda::Function — NoSuchKey"
        );
    }
}
