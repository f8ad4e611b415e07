//! A stack as CloudFormation describes it, and what its status means.

use crate::Error;
use crate::aws::{describe_error, error_code};
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::Stack;

/// The stack called `name`, or `None` when there is none. CloudFormation
/// answers a missing stack with a `ValidationError` "Stack with id NAME
/// does not exist" (DescribeStacks in the API reference).
pub(crate) async fn find(client: &Client, name: &str) -> Result<Option<Stack>, Error> {
    match client.describe_stacks().stack_name(name).send().await {
        Ok(out) => Ok(out.stacks.unwrap_or_default().into_iter().next()),
        Err(e) if is_missing(&e) => Ok(None),
        Err(e) => Err(Error::new(format!(
            "cannot read stack {name}: {}",
            describe_error(&e)
        ))),
    }
}

fn is_missing<R: std::fmt::Debug>(
    e: &aws_sdk_cloudformation::error::SdkError<
        aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError,
        R,
    >,
) -> bool {
    error_code(e) == Some("ValidationError") && describe_error(e).contains("does not exist")
}

/// The stack's status as text (`CREATE_COMPLETE`, …).
pub(crate) fn status_of(stack: &Stack) -> &str {
    stack.stack_status().map_or("UNKNOWN", |s| s.as_str())
}

/// Whether CloudFormation is still working on a stack in `status`
/// (`UPDATE_COMPLETE_CLEANUP_IN_PROGRESS` included).
pub(crate) fn in_progress(status: &str) -> bool {
    status.ends_with("_IN_PROGRESS") && status != "REVIEW_IN_PROGRESS"
}

/// Whether a stack that settled after a create or update is a success
/// (a stack gone, `DELETE_COMPLETE`, is not).
pub(crate) fn succeeded(status: &str) -> bool {
    matches!(
        status,
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE"
    )
}

/// The stack's outputs as `(key, value)`.
pub(crate) fn outputs(stack: &Stack) -> Vec<(String, String)> {
    stack
        .outputs()
        .iter()
        .map(|o| {
            (
                o.output_key().unwrap_or_default().to_string(),
                o.output_value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        assert!(in_progress("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"));
        assert!(in_progress("CREATE_IN_PROGRESS"));
        assert!(!in_progress("REVIEW_IN_PROGRESS"));
        assert!(!in_progress("ROLLBACK_COMPLETE"));
        assert!(succeeded("UPDATE_COMPLETE"));
        assert!(!succeeded("UPDATE_ROLLBACK_COMPLETE"));
        assert!(!succeeded("ROLLBACK_COMPLETE"));
    }
}
