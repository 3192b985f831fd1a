//! Dialogs with fields: create and edit forms, and the expiry field's
//! parsing.

use super::*;

/// The label of a row action in the actions menu.
pub fn action_label(a: KeyAction) -> &'static str {
    match a {
        KeyAction::View => "View details",
        KeyAction::Create => "Create",
        KeyAction::Edit => "Edit",
        KeyAction::Delete => "Delete",
        KeyAction::Lock => "Lock",
        KeyAction::Unlock => "Unlock",
        KeyAction::Disable => "Disable",
        KeyAction::Enable => "Enable",
        KeyAction::Rotate => "Rotate",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldId {
    Name,
    Description,
    LeakAction,
    Sessions,
    Expiry,
    Lock,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Text(Input),
    Choice(LeakAction),
    Flag(bool),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub id: FieldId,
    pub label: &'static str,
    pub value: FieldValue,
    pub hint: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormKind {
    Create,
    Edit {
        key_id: String,
        tag: String,
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub kind: FormKind,
    pub fields: Vec<Field>,
    pub focus: usize,
    pub error: Option<String>,
    /// Edit: the key changed in the store since the dialog opened.
    pub stale: bool,
    /// The first field on screen, when not all fit.
    pub scroll: usize,
}

impl Form {
    pub(crate) fn create() -> Form {
        Form {
            kind: FormKind::Create,
            fields: vec![
                Field {
                    id: FieldId::Name,
                    label: "Name",
                    value: FieldValue::Text(Input::default()),
                    hint: "required",
                },
                Field {
                    id: FieldId::Description,
                    label: "Description",
                    value: FieldValue::Text(Input::default()),
                    hint: "optional",
                },
                Field {
                    id: FieldId::LeakAction,
                    label: "Action when leaked",
                    value: FieldValue::Choice(LeakAction::Disable),
                    hint: "Space: none / disable / delete",
                },
                Field {
                    id: FieldId::Sessions,
                    label: "Session support",
                    value: FieldValue::Flag(false),
                    hint: "Space: may create CLI login sessions, which can be reviewed and revoked",
                },
                Field {
                    id: FieldId::Expiry,
                    label: "Expires",
                    value: FieldValue::Text(Input::default()),
                    hint: "never, or a time like 2027-01-01T00:00:00Z",
                },
                Field {
                    id: FieldId::Lock,
                    label: "Lock the key",
                    value: FieldValue::Flag(false),
                    hint: "Space: a locked key cannot be changed or deleted",
                },
            ],
            focus: 0,
            error: None,
            stale: false,
            scroll: 0,
        }
    }

    pub(crate) fn edit(row: &KeyRow) -> Form {
        Form {
            kind: FormKind::Edit {
                key_id: row.key.id.clone(),
                tag: row.key.entity_tag.clone(),
                name: row.key.name.clone(),
            },
            fields: vec![
                Field {
                    id: FieldId::Name,
                    label: "Name",
                    value: FieldValue::Text(Input::with(&row.key.name)),
                    hint: "required",
                },
                Field {
                    id: FieldId::Description,
                    label: "Description",
                    value: FieldValue::Text(Input::with(&row.key.description)),
                    hint: "optional",
                },
                Field {
                    id: FieldId::LeakAction,
                    label: "Action when leaked",
                    value: FieldValue::Choice(row.key.action_when_leaked),
                    hint: "Space: none / disable / delete",
                },
            ],
            focus: 0,
            error: None,
            stale: false,
            scroll: 0,
        }
    }

    pub(crate) fn text(&self, id: FieldId) -> &str {
        self.fields
            .iter()
            .find(|f| f.id == id)
            .and_then(|f| match &f.value {
                FieldValue::Text(i) => Some(i.value()),
                _ => None,
            })
            .unwrap_or("")
    }

    pub(crate) fn flag(&self, id: FieldId) -> bool {
        self.fields
            .iter()
            .any(|f| f.id == id && f.value == FieldValue::Flag(true))
    }

    pub(crate) fn leak(&self) -> LeakAction {
        self.fields
            .iter()
            .find_map(|f| match f.value {
                FieldValue::Choice(l) => Some(l),
                _ => None,
            })
            .unwrap_or_default()
    }

    pub fn title(&self) -> String {
        match &self.kind {
            FormKind::Create => "Create IBM Cloud API key".to_string(),
            FormKind::Edit { name, .. } => {
                format!("Edit API key {}", crate::text::inert(name))
            }
        }
    }
}

/// Reads the expiry field: empty (or `never`) for none, else an RFC 3339
/// time with an offset, by the same strict rules as `--expires-at` and
/// fixtures ([`crate::time::parse_moment`]).
pub fn parse_expiry(text: &str) -> Result<Option<crate::time::Moment>, String> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    crate::time::parse_moment(t)
        .map(Some)
        .map_err(|e| format!("the expiry: {e}"))
}
