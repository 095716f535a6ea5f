//! `agora`: the hub server and its command-line tools (see PRODUCT.md for the contract).

mod config;
mod hub;

use std::{path::PathBuf, process::ExitCode};

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "agora",
    version,
    about = "A self-hosted hub for open AI, speaking the Hugging Face Hub protocol"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Debug)]
pub struct DataDir {
    /// Where the database and objects live [default: ./data]
    #[arg(long, env = "AGORA_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// A TOML file with `data_dir`, `addr`, `public_url` (flags and AGORA_* variables win)
    #[arg(long, env = "AGORA_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the hub
    Serve {
        #[command(flatten)]
        data: DataDir,
        /// Address to listen on [default: 127.0.0.1:8080]
        #[arg(long, env = "AGORA_ADDR")]
        addr: Option<String>,
        /// The URL clients use to reach the hub, if not the address it listens on
        #[arg(long, env = "AGORA_PUBLIC_URL")]
        public_url: Option<String>,
        /// Turn off the web sign-up page (accounts then come from `agora user create`)
        #[arg(long, env = "AGORA_DISABLE_SIGNUP")]
        disable_signup: bool,
    },
    /// Manage users
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// Manage access tokens
    Token {
        #[command(subcommand)]
        cmd: TokenCmd,
    },
    /// Manage organisations
    Org {
        #[command(subcommand)]
        cmd: OrgCmd,
    },
    /// Scan model files for code that would run when they are loaded.
    /// Exit 0: all safe; 1: any unsafe; 2: any unknown (none unsafe); 3: usage or I/O error
    Scan {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print the reports as JSON
        #[arg(long)]
        json: bool,
    },
    /// Grade the openness and licence of a local repository checkout
    Assess {
        dir: PathBuf,
        /// Print the full report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Export an AI bill of materials of a local repository checkout
    Bom {
        dir: PathBuf,
        /// cyclonedx (CycloneDX 1.6) or spdx (SPDX 3.0.1)
        #[arg(long, default_value = "cyclonedx")]
        format: String,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a user
    Create {
        name: String,
        #[arg(long)]
        admin: bool,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        fullname: Option<String>,
        #[command(flatten)]
        data: DataDir,
    },
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Create a token for a user and print it (alone) on stdout
    Create {
        user: String,
        /// Allow writes (default: read-only)
        #[arg(long)]
        write: bool,
        /// A name to recognise the token by
        #[arg(long, default_value = "cli")]
        name: String,
        #[command(flatten)]
        data: DataDir,
    },
}

#[derive(Subcommand)]
enum OrgCmd {
    /// Create an organisation owned (as admin) by a user
    Create {
        name: String,
        #[arg(long)]
        owner: String,
        #[arg(long)]
        fullname: Option<String>,
        #[command(flatten)]
        data: DataDir,
    },
    /// Add a member (or change their role): read, contributor, write or admin
    AddMember {
        org: String,
        user: String,
        #[arg(long, default_value = "write")]
        role: String,
        #[command(flatten)]
        data: DataDir,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // Help and version are not errors; anything else is a usage error (exit 3).
            return if e.use_stderr() {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match &cli.command {
        Command::Scan { paths, json } => {
            return ExitCode::from(agora_scan::cli::run(
                paths,
                *json,
                &mut std::io::stdout().lock(),
            ));
        }
        Command::Assess { dir, json } => {
            return ExitCode::from(agora_openness::cli::assess(
                dir,
                *json,
                &mut std::io::stdout().lock(),
            ));
        }
        Command::Bom { dir, format } => {
            let Ok(format) = format.parse::<agora_openness::BomFormat>() else {
                eprintln!("agora: unknown BOM format {format:?}: use cyclonedx or spdx");
                return ExitCode::from(3);
            };
            return ExitCode::from(agora_openness::cli::bom(
                dir,
                format,
                &mut std::io::stdout().lock(),
            ));
        }
        _ => {}
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("agora: cannot start the runtime: {e}");
            return ExitCode::from(3);
        }
    };
    let result = rt.block_on(run(cli));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("agora: {e}");
            ExitCode::from(3)
        }
    }
}

async fn run(cli: Cli) -> Result<(), hub::Error> {
    match cli.command {
        Command::Serve {
            data,
            addr,
            public_url,
            disable_signup,
        } => {
            init_tracing();
            let mut cfg = config::Config::load(&data, addr, public_url)?;
            cfg.signup &= !disable_signup;
            hub::serve(cfg).await
        }
        Command::User {
            cmd:
                UserCmd::Create {
                    name,
                    admin,
                    email,
                    fullname,
                    data,
                },
        } => {
            let hub = hub::open(&config::Config::load(&data, None, None)?).await?;
            hub::create_user(&hub, &name, admin, email.as_deref(), fullname.as_deref()).await?;
            eprintln!("created user {name}");
            Ok(())
        }
        Command::Token {
            cmd:
                TokenCmd::Create {
                    user,
                    write,
                    name,
                    data,
                },
        } => {
            let hub = hub::open(&config::Config::load(&data, None, None)?).await?;
            let token = hub::create_token(&hub, &user, write, &name).await?;
            println!("{token}");
            Ok(())
        }
        Command::Org {
            cmd:
                OrgCmd::Create {
                    name,
                    owner,
                    fullname,
                    data,
                },
        } => {
            let hub = hub::open(&config::Config::load(&data, None, None)?).await?;
            hub::create_org(&hub, &name, &owner, fullname.as_deref()).await?;
            eprintln!("created organisation {name}");
            Ok(())
        }
        Command::Scan { .. } | Command::Assess { .. } | Command::Bom { .. } => Ok(()),
        Command::Org {
            cmd:
                OrgCmd::AddMember {
                    org,
                    user,
                    role,
                    data,
                },
        } => {
            let hub = hub::open(&config::Config::load(&data, None, None)?).await?;
            hub::add_member(&hub, &org, &user, &role).await?;
            eprintln!("{user} is now {role} in {org}");
            Ok(())
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("AGORA_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
