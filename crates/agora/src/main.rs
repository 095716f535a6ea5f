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
        #[command(flatten)]
        limits: config::LimitArgs,
    },
    /// Export the audit log as JSON lines (everything, or one namespace or repository)
    Audit {
        /// Only this account's namespace (user or organisation)
        #[arg(long, conflicts_with = "repo")]
        namespace: Option<String>,
        /// Only this repository: `model:ns/name` or `dataset:ns/name`
        #[arg(long)]
        repo: Option<String>,
        #[command(flatten)]
        data: DataDir,
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
    /// Set a user's web sign-in password, read from the first line of standard input
    Password {
        name: String,
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
        #[arg(long, conflicts_with = "scope")]
        write: bool,
        /// Make a fine-grained token acting only on this (repeatable): TYPE:NAME:PERMS with TYPE
        /// model, dataset, user or org and PERMS from read, contribute, write
        /// (e.g. model:alice/bert:read,write)
        #[arg(long)]
        scope: Vec<String>,
        /// Lifetime, e.g. 3600s, 90m, 12h, 30d (default: until revoked)
        #[arg(long)]
        expires_in: Option<String>,
        /// A name to recognise the token by
        #[arg(long, default_value = "cli")]
        name: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// List a user's tokens as JSON lines (never their secrets)
    List {
        user: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// Revoke a user's token by id (see `token list`); it stops working at once
    Revoke {
        user: String,
        id: i64,
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
    #[command(alias = "set-role")]
    AddMember {
        org: String,
        user: String,
        #[arg(long, default_value = "write")]
        role: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// Remove a member
    RemoveMember {
        org: String,
        user: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// List members and their roles
    Members {
        org: String,
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
            limits,
        } => {
            init_tracing();
            let mut cfg = config::Config::load(&data, addr, public_url)?.with_limits(&limits);
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
        Command::User {
            cmd: UserCmd::Password { name, data },
        } => {
            let hub = hub::open(&config::Config::load(&data, None, None)?).await?;
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            let password = line.trim_end_matches(['\n', '\r']);
            let account = hub
                .meta
                .account_by_name(&name)
                .await?
                .filter(|a| a.kind == agora_storage::model::AccountKind::User)
                .ok_or_else(|| hub::Error::Usage(format!("no user {name}")))?;
            agora_web::set_password(&hub, account.id, password)
                .await
                .map_err(|e| hub::Error::Usage(e.to_string()))?;
            eprintln!("password of {name} set");
            Ok(())
        }
        Command::Token {
            cmd:
                TokenCmd::Create {
                    user,
                    write,
                    scope,
                    expires_in,
                    name,
                    data,
                },
        } => {
            let hub = hub::open(&config::Config::load(&data, None, None)?).await?;
            let spec = hub::token_spec(write, &scope, expires_in.as_deref(), &name)?;
            let token = hub::create_token(&hub, &user, &spec).await?;
            println!("{token}");
            Ok(())
        }
        Command::Token {
            cmd: TokenCmd::List { user, data },
        } => {
            let hub = hub::open(&config::Config::load(&data, None, None)?).await?;
            for line in hub::list_tokens(&hub, &user).await? {
                println!("{line}");
            }
            Ok(())
        }
        Command::Token {
            cmd: TokenCmd::Revoke { user, id, data },
        } => {
            let hub = hub::open(&config::Config::load(&data, None, None)?).await?;
            hub::revoke_token(&hub, &user, id).await?;
            eprintln!("revoked token {id} of {user}");
            Ok(())
        }
        Command::Org {
            cmd: OrgCmd::RemoveMember { org, user, data },
        } => {
            let hub = hub::open(&config::Config::load(&data, None, None)?).await?;
            hub::remove_member(&hub, &org, &user).await?;
            eprintln!("{user} is no longer in {org}");
            Ok(())
        }
        Command::Org {
            cmd: OrgCmd::Members { org, data },
        } => {
            let hub = hub::open(&config::Config::load(&data, None, None)?).await?;
            for (name, role) in hub::members(&hub, &org).await? {
                println!("{name}\t{role}");
            }
            Ok(())
        }
        Command::Audit {
            namespace,
            repo,
            data,
        } => {
            let hub = hub::open(&config::Config::load(&data, None, None)?).await?;
            hub::export_audit(
                &hub,
                namespace.as_deref(),
                repo.as_deref(),
                &mut std::io::stdout().lock(),
            )
            .await
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
