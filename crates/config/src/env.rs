//! The environment variables agentctl reads, named in one place and read at one time.

use std::path::PathBuf;

pub const OPENAI_BASE_URL: &str = "OPENAI_BASE_URL";
pub const OPENAI_API_KEY: &str = "OPENAI_API_KEY";
pub const AGENTCTL_MODEL: &str = "AGENTCTL_MODEL";
pub const AGENTCTL_LOG: &str = "AGENTCTL_LOG";
/// The tracing filter when AGENTCTL_LOG is not set (the Rust ecosystem's usual name).
pub const RUST_LOG: &str = "RUST_LOG";
/// `off` turns the live status line of `run`/`resume` off on a terminal.
pub const AGENTCTL_STATUS_LINE: &str = "AGENTCTL_STATUS_LINE";
/// Seconds between the plain "still working" lines printed off a terminal while a model call
/// is pending (default 10; `0` prints none).
pub const AGENTCTL_PROGRESS_EVERY: &str = "AGENTCTL_PROGRESS_EVERY";
pub const AGENTCTL_CACHE_DIR: &str = "AGENTCTL_CACHE_DIR";
/// The local model server's context size in tokens (read by `scripts/local-model.sh` too).
pub const AGENTCTL_LOCAL_MODEL_N_CTX: &str = "AGENTCTL_LOCAL_MODEL_N_CTX";
pub const XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";
pub const HOME: &str = "HOME";
pub const USER: &str = "USER";

/// A snapshot of the variables agentctl honours. Tests build one by hand instead of touching
/// the process environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvVars {
    pub openai_base_url: Option<String>,
    /// The value of the variable named by `[endpoint] api_key_env` is looked up through
    /// [`EnvVars::lookup`]; this is only `OPENAI_API_KEY`.
    pub openai_api_key: Option<String>,
    pub agentctl_model: Option<String>,
    pub cache_dir: Option<PathBuf>,
    pub user: Option<String>,
    /// Every other variable, for `api_key_env` lookups.
    pub others: Vec<(String, String)>,
}

impl EnvVars {
    /// Reads the process environment once.
    pub fn from_process() -> Self {
        let get = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let cache_dir = get(AGENTCTL_CACHE_DIR).map(PathBuf::from).or_else(|| {
            get(XDG_CACHE_HOME)
                .map(|dir| PathBuf::from(dir).join("agentctl"))
                .or_else(|| {
                    get(HOME).map(|home| PathBuf::from(home).join(".cache").join("agentctl"))
                })
        });
        EnvVars {
            openai_base_url: get(OPENAI_BASE_URL),
            openai_api_key: get(OPENAI_API_KEY),
            agentctl_model: get(AGENTCTL_MODEL),
            cache_dir,
            user: get(USER),
            others: std::env::vars().collect(),
        }
    }

    /// The values of the AWS credentials in agentctl's environment: every `AWS_*` variable
    /// whose name says it holds a key, a secret, a token or a password (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, …), not those naming a file or a path.
    /// They are redacted wherever they appear in what agentctl writes, prints or sends.
    pub fn aws_secrets(&self) -> Vec<String> {
        self.others
            .iter()
            .filter(|(name, value)| {
                let name = name.to_ascii_uppercase();
                name.starts_with("AWS_")
                    && ["KEY", "SECRET", "TOKEN", "PASSWORD"]
                        .iter()
                        .any(|word| name.contains(word))
                    && !["_FILE", "_PATH", "_BUNDLE"]
                        .iter()
                        .any(|suffix| name.ends_with(suffix))
                    && !value.is_empty()
            })
            .map(|(_, value)| value.clone())
            .collect()
    }

    /// The value of an arbitrary variable (used for `api_key_env`).
    pub fn lookup(&self, name: &str) -> Option<String> {
        if name == OPENAI_API_KEY {
            return self.openai_api_key.clone();
        }
        self.others
            .iter()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_secrets_are_the_credential_variables_only() {
        let env = EnvVars {
            others: [
                ("AWS_SECRET_ACCESS_KEY", "s3cr3t"),
                ("AWS_SESSION_TOKEN", "t0k"),
                ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
                ("AWS_REGION", "eu-west-1"),
                ("AWS_SHARED_CREDENTIALS_FILE", "/x"),
                ("AWS_WEB_IDENTITY_TOKEN_FILE", "/y"),
                ("GITHUB_TOKEN", "not aws"),
            ]
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect(),
            ..EnvVars::default()
        };
        assert_eq!(env.aws_secrets(), ["s3cr3t", "t0k", "AKIAEXAMPLE"]);
    }
}
