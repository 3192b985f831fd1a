//! Every YAML read and write in iamkeys goes through here, so replacing the
//! YAML crate touches this file only.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A YAML document that does not fit the expected shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// The offending item, like `accounts[0].members[2].invited_by`; empty
    /// for the document itself.
    pub path: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

/// Parses `text` into `T`, naming the item, line and column of any error.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    let de = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let location = inner.location();
        let mut message = inner.to_string();
        // serde_yaml appends the location and sometimes prefixes its own
        // path; both are reported separately.
        if let Some(loc) = &location {
            let suffix = format!(" at line {} column {}", loc.line(), loc.column());
            if let Some(stripped) = message.strip_suffix(&suffix) {
                message = stripped.to_string();
            }
        }
        // serde_yaml's own path may stop short of the full one (an unknown
        // field is reported at its mapping): drop it whenever it is a prefix.
        if !path.is_empty()
            && path != "."
            && let Some((head, rest)) = message.split_once(": ")
            && !head.is_empty()
            && !head.contains(' ')
            && path.starts_with(head)
        {
            message = rest.to_string();
        }
        YamlError {
            path: if path == "." { String::new() } else { path },
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            message,
        }
    })
}

/// Writes `value` as YAML to `out`, for documents too large to build as one string.
pub fn to_writer<T: Serialize, W: std::io::Write>(out: W, value: &T) -> Result<(), String> {
    serde_yaml::to_writer(out, value).map_err(|e| e.to_string())
}
