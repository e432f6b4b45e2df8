//! One error type for the whole tool, and the exit codes in one place.
//!
//! Every error a user can cause becomes exactly one `error: ...` line on stderr that names the
//! input and the fix. Messages must never contain a password or an `auth` value.

/// Stable exit codes (documented in the README; never renumber).
pub mod exit {
    /// Success; also when stdout is a closed pipe (`| head`): the output ends there, quietly,
    /// as ripgrep does. A closed stderr never changes the code.
    pub const OK: u8 = 0;
    /// A generic failure (I/O and anything not covered below).
    pub const FAILURE: u8 = 1;
    /// Bad flags or invalid input (malformed files, bad PEM, missing required input); also a
    /// run the user cancelled: "no" at the confirmation, nothing changed (one code for every
    /// command, one cluster or across contexts; gh exits 2 on a cancelled prompt too). Ctrl-C
    /// at a prompt ends the run by SIGINT, as a shell expects, before anything is written.
    pub const USAGE: u8 = 2;
    /// `check` found at least one finding of severity `error`; `fn` reported error results.
    pub const FINDINGS: u8 = 3;
    /// A file, namespace, Deployment, container, Secret or image that is not there.
    pub const NOT_FOUND: u8 = 4;
    /// The Kubernetes API server could not be reached or answered with an error.
    pub const CLUSTER: u8 = 5;
    /// RBAC forbids a step.
    pub const FORBIDDEN: u8 = 6;
    /// A registry refused the credentials, or failed TLS, or answered with an error.
    pub const REGISTRY: u8 = 7;
    /// A KRM function ran and failed.
    pub const FUNCTION_FAILED: u8 = 8;
    /// A rollout or a function did not finish in time.
    pub const TIMEOUT: u8 = 9;
    /// A live write would change fields another field manager owns (a server-side apply
    /// conflict); nothing was changed. `--force-conflicts` takes them.
    pub const CONFLICT: u8 = 10;

    /// A run across several clusters exits with the most severe of their codes. "Most
    /// severe" is this order, first wins (it is not the largest number): the cluster cannot
    /// be used at all (6 forbidden, 5 unreachable/API error), then it did not finish (9
    /// timeout), then another manager owns what it would change (10), something is missing (4), the registry refused (7), a function failed
    /// (8), findings (3), bad input (2), anything else (1), success (0).
    pub const SEVERITY: [u8; 11] = [
        FORBIDDEN,
        CLUSTER,
        TIMEOUT,
        CONFLICT,
        NOT_FOUND,
        REGISTRY,
        FUNCTION_FAILED,
        FINDINGS,
        USAGE,
        FAILURE,
        OK,
    ];

    /// The most severe of some exit codes (see [`SEVERITY`]); `OK` for none.
    pub fn most_severe(codes: impl IntoIterator<Item = u8>) -> u8 {
        let rank = |c: u8| SEVERITY.iter().position(|&s| s == c).unwrap_or(0);
        codes.into_iter().min_by_key(|&c| rank(c)).unwrap_or(OK)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad flags, missing input on a non-terminal, invalid input content.
    #[error("{0}")]
    Usage(String),
    /// Something named by the user does not exist.
    #[error("{0}")]
    NotFound(String),
    /// `check` or `fn` found errors; the findings were already printed.
    #[error("{0}")]
    Findings(String),
    /// API server unreachable or answered with an unexpected error.
    #[error("{0}")]
    Cluster(String),
    /// RBAC forbids a step.
    #[error("{0}")]
    Forbidden(String),
    /// Registry refused credentials, TLS failed, or another registry error.
    #[error("{0}")]
    Registry(String),
    /// The KRM function ran and failed.
    #[error("{0}")]
    FunctionFailed(String),
    /// Rollout wait or function timed out.
    #[error("{0}")]
    Timeout(String),
    /// A live write would take fields another field manager owns.
    #[error("{0}")]
    Conflict(String),
    /// Anything else (I/O and the like).
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn usage(msg: impl Into<String>) -> Self {
        Error::Usage(msg.into())
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        Error::NotFound(msg.into())
    }
    pub fn other(msg: impl Into<String>) -> Self {
        Error::Other(msg.into())
    }
    /// The user cancelled (exit 2, see [`exit::USAGE`]); `msg` says that nothing was changed.
    pub fn cancelled(msg: impl Into<String>) -> Self {
        Error::Usage(msg.into())
    }

    /// An I/O error on a named path, phrased for the user.
    pub fn io(path: impl AsRef<std::path::Path>, err: std::io::Error) -> Self {
        let path = path.as_ref().display();
        match err.kind() {
            std::io::ErrorKind::NotFound => {
                Error::NotFound(format!("{path}: no such file or directory; check the path"))
            }
            std::io::ErrorKind::PermissionDenied => Error::Other(format!(
                "{path}: permission denied; check the file's permissions"
            )),
            std::io::ErrorKind::IsADirectory => {
                Error::Usage(format!("{path}: is a directory; give the path of a file"))
            }
            std::io::ErrorKind::NotADirectory => Error::NotFound(format!(
                "{path}: a parent of this path is a file, not a directory; check the path"
            )),
            _ => Error::Other(format!("{path}: {err}")),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::NotFound(_) => exit::NOT_FOUND,
            Error::Findings(_) => exit::FINDINGS,
            Error::Cluster(_) => exit::CLUSTER,
            Error::Forbidden(_) => exit::FORBIDDEN,
            Error::Registry(_) => exit::REGISTRY,
            Error::FunctionFailed(_) => exit::FUNCTION_FAILED,
            Error::Timeout(_) => exit::TIMEOUT,
            Error::Conflict(_) => exit::CONFLICT,
            Error::Other(_) => exit::FAILURE,
        }
    }

    /// An error of the kind whose exit code is `code` (a run across clusters ends with the
    /// most severe of their codes).
    pub fn with_code(code: u8, msg: impl Into<String>) -> Self {
        let msg = msg.into();
        match code {
            exit::USAGE => Error::Usage(msg),
            exit::NOT_FOUND => Error::NotFound(msg),
            exit::FINDINGS => Error::Findings(msg),
            exit::CLUSTER => Error::Cluster(msg),
            exit::FORBIDDEN => Error::Forbidden(msg),
            exit::REGISTRY => Error::Registry(msg),
            exit::FUNCTION_FAILED => Error::FunctionFailed(msg),
            exit::TIMEOUT => Error::Timeout(msg),
            exit::CONFLICT => Error::Conflict(msg),
            _ => Error::Other(msg),
        }
    }

    /// The one line that `error:` introduces: the first line of the message carries the
    /// point. (`ui::output::finish` prints it; this module does no I/O.)
    pub fn one_line(&self) -> String {
        let msg = self.to_string();
        msg.lines().next().unwrap_or("failed").trim().to_string()
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::Other(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_severe_follows_the_documented_order() {
        assert_eq!(exit::most_severe([]), exit::OK);
        assert_eq!(exit::most_severe([0, 0, 5, 0]), exit::CLUSTER);
        assert_eq!(exit::most_severe([0, 6, 0]), exit::FORBIDDEN);
        assert_eq!(exit::most_severe([9, 5, 6]), exit::FORBIDDEN);
        assert_eq!(exit::most_severe([9, 4, 0]), exit::TIMEOUT);
        assert_eq!(exit::most_severe([3, 1]), exit::FINDINGS);
        assert_eq!(exit::most_severe([10, 4, 3]), exit::CONFLICT);
        assert_eq!(exit::most_severe([10, 9]), exit::TIMEOUT);
        assert_eq!(exit::SEVERITY.len(), 11);
        for c in 0..=10u8 {
            assert_eq!(
                Error::with_code(c, "x").exit_code(),
                if c == 0 { 1 } else { c }
            );
        }
    }
}
