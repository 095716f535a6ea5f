//! Settings, by precedence: command-line flags, `AGORA_*` variables (both through clap), a TOML
//! file, then the embedded defaults (`./data`, `127.0.0.1:8080`).

use std::path::PathBuf;

use serde::Deserialize;

use crate::{DataDir, hub::Error};

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub addr: String,
    pub public_url: Option<String>,
    /// Whether the web sign-up page creates accounts (`signup = false` in TOML,
    /// `--disable-signup` / `AGORA_DISABLE_SIGNUP=true` turn it off).
    pub signup: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    data_dir: Option<PathBuf>,
    addr: Option<String>,
    public_url: Option<String>,
    signup: Option<bool>,
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
        })
    }
}
