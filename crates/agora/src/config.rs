//! Settings, by precedence: command-line flags, `AGORA_*` variables (both through clap), a TOML
//! file, then the embedded defaults (`./data`, `127.0.0.1:8080`).

use std::path::PathBuf;

use serde::Deserialize;

use agora_api::limits::RateLimits;

use crate::{DataDir, hub::Error};

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub addr: String,
    pub public_url: Option<String>,
    /// Whether the web sign-up page creates accounts (`signup = false` in TOML,
    /// `--disable-signup` / `AGORA_DISABLE_SIGNUP=true` turn it off).
    pub signup: bool,
    pub limits: RateLimits,
}

/// Abuse limits of `agora serve` (0 turns one off).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct LimitArgs {
    /// API requests per window, per token or (without one) per address [default: 3000]
    #[arg(long, env = "AGORA_RATE_LIMIT_API")]
    pub rate_limit_api: Option<u32>,
    /// File downloads per window, per token or per address [default: 30000]
    #[arg(long, env = "AGORA_RATE_LIMIT_RESOLVERS")]
    pub rate_limit_resolvers: Option<u32>,
    /// The window, in seconds [default: 300]
    #[arg(long, env = "AGORA_RATE_LIMIT_WINDOW")]
    pub rate_limit_window: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    data_dir: Option<PathBuf>,
    addr: Option<String>,
    public_url: Option<String>,
    signup: Option<bool>,
    rate_limit_api: Option<u32>,
    rate_limit_resolvers: Option<u32>,
    rate_limit_window: Option<u64>,
}

impl Config {
    pub fn load(
        data: &DataDir,
        addr: Option<String>,
        public_url: Option<String>,
    ) -> Result<Self, Error> {
        let file: File = match &data.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
                toml::from_str(&text)
                    .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?
            }
            None => File::default(),
        };
        Ok(Config {
            data_dir: data
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("./data")),
            addr: addr
                .or(file.addr)
                .unwrap_or_else(|| "127.0.0.1:8080".into()),
            public_url: public_url.or(file.public_url),
            signup: file.signup.unwrap_or(true),
            limits: limits(
                &LimitArgs {
                    rate_limit_api: file.rate_limit_api,
                    rate_limit_resolvers: file.rate_limit_resolvers,
                    rate_limit_window: file.rate_limit_window,
                },
                RateLimits::default(),
            ),
        })
    }

    /// Flags and variables over what the file said.
    pub fn with_limits(mut self, args: &LimitArgs) -> Self {
        self.limits = limits(args, self.limits);
        self
    }
}

fn limits(args: &LimitArgs, base: RateLimits) -> RateLimits {
    RateLimits {
        api: args.rate_limit_api.unwrap_or(base.api),
        resolvers: args.rate_limit_resolvers.unwrap_or(base.resolvers),
        window: args
            .rate_limit_window
            .map(|s| std::time::Duration::from_secs(s.max(1)))
            .unwrap_or(base.window),
    }
}
