//! A change set's changes as the table `provision` prints before it asks:
//! `+` add, `*` modify, `-` delete, with the logical id, the type and, for
//! a modification, whether the resource is replaced.

/// One resource change of a change set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `Add`, `Modify`, `Remove`, `Import`, `Dynamic`.
    pub action: String,
    /// The resource's logical id.
    pub logical_id: String,
    /// e.g. `AWS::Lambda::Function`.
    pub resource_type: String,
    /// For `Modify`: `True`, `False` or `Conditional`.
    pub replacement: Option<String>,
}

impl Change {
    /// Reads the SDK's form.
    pub fn from_sdk(change: &aws_sdk_cloudformation::types::Change) -> Option<Change> {
        let resource = change.resource_change()?;
        Some(Change {
            action: resource.action().map_or("?", |a| a.as_str()).to_string(),
            logical_id: resource.logical_resource_id().unwrap_or("?").to_string(),
            resource_type: resource.resource_type().unwrap_or("?").to_string(),
            replacement: resource.replacement().map(|r| r.as_str().to_string()),
        })
    }
}

/// The table, one change a line, in the order CloudFormation gave them.
///
/// ```
/// use phalanx_deploy::changes::{Change, table};
///
/// let changes = [Change {
///     action: "Add".into(),
///     logical_id: "Echo".into(),
///     resource_type: "AWS::Lambda::Function".into(),
///     replacement: None,
/// }];
/// assert_eq!(table(&changes), "  + Add     Echo  AWS::Lambda::Function\n");
/// ```
pub fn table(changes: &[Change]) -> String {
    let id_width = changes
        .iter()
        .map(|c| c.logical_id.len())
        .max()
        .unwrap_or(0);
    let type_width = changes
        .iter()
        .map(|c| c.resource_type.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for c in changes {
        let sign = match c.action.as_str() {
            "Add" | "Import" => '+',
            "Remove" => '-',
            _ => '*',
        };
        let action = if c.action == "Remove" {
            "Delete"
        } else {
            c.action.as_str()
        };
        let mut line = format!(
            "  {sign} {action:<7} {:<id_width$}  {:<type_width$}",
            c.logical_id, c.resource_type
        );
        if c.action == "Modify"
            && let Some(r) = &c.replacement
        {
            line.push_str(&format!("  replacement: {r}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `3 to add, 1 to modify, 2 to delete`.
pub fn summary(changes: &[Change]) -> String {
    let count = |f: &dyn Fn(&str) -> bool| changes.iter().filter(|c| f(&c.action)).count();
    let add = count(&|a| a == "Add" || a == "Import");
    let delete = count(&|a| a == "Remove");
    let modify = changes.len() - add - delete;
    format!("{add} to add, {modify} to modify, {delete} to delete")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(action: &str, id: &str, kind: &str, replacement: Option<&str>) -> Change {
        Change {
            action: action.into(),
            logical_id: id.into(),
            resource_type: kind.into(),
            replacement: replacement.map(Into::into),
        }
    }

    #[test]
    fn the_table_marks_each_action_and_replacements() {
        let changes = [
            change(
                "Add",
                "Deployment3f9a1c2e",
                "AWS::ApiGateway::Deployment",
                None,
            ),
            change("Modify", "Stage", "AWS::ApiGateway::Stage", Some("False")),
            change(
                "Remove",
                "Deployment0b1c2d3e",
                "AWS::ApiGateway::Deployment",
                None,
            ),
        ];
        assert_eq!(
            table(&changes),
            "  + Add     Deployment3f9a1c2e  AWS::ApiGateway::Deployment\n  \
             * Modify  Stage               AWS::ApiGateway::Stage       replacement: False\n  \
             - Delete  Deployment0b1c2d3e  AWS::ApiGateway::Deployment\n"
        );
        assert_eq!(summary(&changes), "1 to add, 1 to modify, 1 to delete");
    }
}
