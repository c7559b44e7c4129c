//! `helpline token …` and `helpline user …`.

use std::io::{IsTerminal, Read};
use std::sync::Arc;

use anyhow::{Context, anyhow};
use clap::Subcommand;
use domain::{Role, SystemClock};
use server::api::admin::{NewStaff, NewUserRequest, create_staff, issue_token};
use server::config::Settings;
use server::secrets::Secrets;
use store::AuditRecord;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print it (it is shown only this once)
    Create {
        /// agent, supervisor, fraud_analyst, admin or integration
        #[arg(long)]
        role: Role,
        /// What the token is for
        #[arg(long, default_value = "created on the command line")]
        name: String,
    },
    /// List API tokens (never their secrets)
    List,
    /// Revoke an API token at once
    Revoke {
        /// The token's id (from `token list`)
        id: uuid::Uuid,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff account. The password is read from standard input when it is not a
    /// terminal; otherwise a strong one is generated and printed.
    Create {
        #[arg(long)]
        email: String,
        /// Display name, e.g. "Alex Morgan"
        #[arg(long)]
        name: String,
        /// agent, supervisor, fraud_analyst or admin
        #[arg(long)]
        role: Role,
        /// Interface language (BCP 47 code)
        #[arg(long, default_value = "en")]
        language: String,
    },
    /// List staff accounts
    List,
}

/// The state a command needs: the same store, secrets and settings the server uses.
async fn state(settings: Settings) -> anyhow::Result<server::state::AppState> {
    let store = super::open_store(&settings).await?;
    let (secrets, _) = Secrets::load_or_create(&settings.data_dir.join("secrets.toml"))?;
    server::build_state(server::Parts {
        settings,
        store: Arc::new(store),
        clock: Arc::new(SystemClock),
        secrets,
        demo: false,
    })
}

fn cli_audit(action: &str, subject: String, detail: serde_json::Value) -> AuditRecord {
    AuditRecord {
        #[allow(clippy::disallowed_methods)] // the command line is the edge
        at: jiff::Timestamp::now(),
        actor: format!("cli:{}", whoami()),
        action: action.to_owned(),
        subject,
        ip: "local".to_owned(),
        request_id: "-".to_owned(),
        detail,
    }
}

fn whoami() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned())
}

pub async fn token(settings: Settings, command: TokenCommand) -> anyhow::Result<()> {
    let state = state(settings).await?;
    match command {
        TokenCommand::Create { role, name } => {
            let audit = cli_audit(
                "api_token.create",
                format!("api_token:{name}"),
                serde_json::json!({"role": role}),
            );
            let (_, secret) = issue_token(&state, &name, role, None, Some(audit))
                .await
                .map_err(|e| anyhow!(e.detail))?;
            println!("{secret}");
        }
        TokenCommand::List => {
            for t in state.store.list_api_tokens().await? {
                let status = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!("{}  {:<13} {:<8} {}", t.id, t.role, status, t.name);
            }
        }
        TokenCommand::Revoke { id } => {
            let audit = cli_audit(
                "api_token.revoke",
                format!("api_token:{id}"),
                serde_json::json!({}),
            );
            let now = audit.at;
            state
                .store
                .revoke_api_token(id, now, store::Effects::none().audit(audit))
                .await
                .with_context(|| format!("while revoking token {id}"))?;
            println!("Token {id} revoked.");
        }
    }
    Ok(())
}

pub async fn user(settings: Settings, command: UserCommand) -> anyhow::Result<()> {
    let state = state(settings).await?;
    match command {
        UserCommand::Create {
            email,
            name,
            role,
            language,
        } => {
            let (password, generated) = if std::io::stdin().is_terminal() {
                (server::auth::token::generate(""), true)
            } else {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .context("while reading the password from standard input")?;
                (text.lines().next().unwrap_or("").to_owned(), false)
            };
            let request = NewUserRequest {
                email,
                display_name: name,
                role: role.to_string(),
                password: password.clone(),
                language: Some(language),
            };
            let new = NewStaff::parse(request).map_err(|e| anyhow!(e.detail))?;
            let audit = cli_audit(
                "user.create",
                format!("email:{}", new.email),
                serde_json::json!({"role": new.role}),
            );
            let user = create_staff(&state, new, Some(audit))
                .await
                .map_err(|e| anyhow!(e.detail))?;
            println!(
                "Created {} ({}) with id {}.",
                user.email, user.role, user.id
            );
            if generated {
                println!("Password (shown once): {password}");
            }
        }
        UserCommand::List => {
            for u in state
                .store
                .list_users(store::Page {
                    limit: 1000,
                    offset: 0,
                })
                .await?
            {
                println!(
                    "{}  {:<13} {:<30} {}",
                    u.id, u.role, u.email, u.display_name
                );
            }
        }
    }
    Ok(())
}
