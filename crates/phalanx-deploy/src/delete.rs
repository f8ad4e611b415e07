//! `delete`: removes the stack and waits until it is gone. A stack that
//! does not exist is already deleted: success. The objects `provision`
//! uploaded stay in their bucket (other stacks or a rollback may use them).

use crate::aws::{Aws, failed};
use crate::events::Watcher;
use crate::{Error, stack, ui};

/// What `delete` is asked for.
#[derive(Debug, Clone)]
pub struct DeleteOptions {
    /// The stack.
    pub stack_name: String,
    /// Delete without asking.
    pub yes: bool,
}

/// Deletes the stack, following its events until it is gone.
pub async fn delete(aws: &Aws, options: &DeleteOptions) -> Result<(), Error> {
    let name = &options.stack_name;
    let Some(found) = stack::find(&aws.cloudformation, name).await? else {
        println!(
            "Stack {name} does not exist in {}: nothing to delete",
            aws.region
        );
        return Ok(());
    };
    if stack::status_of(&found) == "DELETE_COMPLETE" {
        println!("Stack {name} is already deleted");
        return Ok(());
    }
    ui::require_yes_or_terminal(options.yes, "delete")?;
    if !ui::confirm(
        options.yes,
        &format!(
            "Delete stack {name} ({}) and every resource in it?",
            stack::status_of(&found)
        ),
    )? {
        println!("Not confirmed: nothing was deleted");
        return Ok(());
    }
    let stack_id = found.stack_id().unwrap_or(name).to_string();
    let resources = aws
        .cloudformation
        .list_stack_resources()
        .stack_name(&stack_id)
        .send()
        .await
        .map(|out| out.stack_resource_summaries().len())
        .unwrap_or(0);
    let mut watcher = Watcher::start(&aws.cloudformation, &stack_id, resources, name).await?;
    aws.cloudformation
        .delete_stack()
        .stack_name(&stack_id)
        .send()
        .await
        .map_err(failed(format!("cannot delete stack {name}")))?;
    let settled = watcher.wait().await?;
    if settled.status != "DELETE_COMPLETE" {
        return Err(Error::new(format!(
            "delete of stack {name} failed: the stack is {}{}",
            settled.status,
            watcher.failure_report()
        )));
    }
    println!(
        "Stack {name} deleted in {:.1}s",
        watcher.elapsed().as_secs_f64()
    );
    // Say where the uploads are: the code bucket is a parameter.
    let bucket = found
        .parameters()
        .iter()
        .find(|p| p.parameter_key() == Some("CodeS3Bucket"))
        .and_then(|p| p.parameter_value());
    if let Some(bucket) = bucket {
        println!(
            "The uploaded code and templates stay in s3://{bucket}/phalanx/ (remove them with `aws s3 rm --recursive s3://{bucket}/phalanx/`)"
        );
    }
    Ok(())
}
