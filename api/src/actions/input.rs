//! The checks on what a person types into an action, shared by GraphQL,
//! the command line and the exports: names and user ids.

use agentmon_core::Error;

/// Longest name of a key or a team.
pub const MAX_NAME_CHARS: usize = 100;

/// A name given by a person: trimmed, 1 to `max` characters, no NUL.
pub fn name(field: &str, value: &str, max: usize) -> Result<String, Error> {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > max || trimmed.contains('\0') {
        return Err(Error::BadUserInput(format!(
            "{field} must have 1 to {max} characters (no NUL); got {chars}"
        )));
    }
    Ok(trimmed.to_string())
}

/// A user id as producers send them: 1 to 256 characters.
pub fn user_id(value: &str) -> Result<&str, Error> {
    if value.is_empty() || value.chars().count() > 256 || value.contains('\0') {
        return Err(Error::BadUserInput(
            "userId must have 1 to 256 characters (no NUL)".into(),
        ));
    }
    Ok(value)
}
