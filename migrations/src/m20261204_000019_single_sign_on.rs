//! Single sign-on over OpenID Connect.
//!
//! - `sso_link`: an account's stable identity at a provider (`iss` is the
//!   provider's configured id, `sub` its subject), one per provider per
//!   account, made at the first sign-in that matched a person HR imported.
//! - `sso_login`: a sign-in on its way through the provider, keyed by the
//!   SHA-256 of its `state`, bound to the browser that began it (the hash of
//!   a short-lived cookie), holding the nonce and the PKCE verifier; used
//!   once. In the database so that any instance can finish what another
//!   began.
//! - `app_setting`: settings an administrator changes in the browser (for
//!   now whether password sign-in is open to everyone).
//! - `session` gains the provider, subject, provider session id (`sid`) and
//!   ID token of a session begun by SSO: back-channel logout finds sessions
//!   by them, and RP-initiated logout sends the ID token as its hint.
//! - `account.break_glass`: administrators who may still sign in with a
//!   password when password sign-in is off for everyone else.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SsoLink {
    Table,
    Id,
    AccountId,
    Provider,
    Subject,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum SsoLogin {
    Table,
    Id,
    Provider,
    Browser,
    Nonce,
    PkceVerifier,
    Next,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum AppSetting {
    Table,
    Name,
    Value,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    SsoProvider,
    SsoSubject,
    SsoSid,
    SsoIdToken,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
    BreakGlass,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SsoLink::Table)
                    .col(pk_auto(SsoLink::Id))
                    .col(integer(SsoLink::AccountId))
                    .col(string(SsoLink::Provider))
                    .col(string(SsoLink::Subject))
                    .col(timestamp_with_time_zone(SsoLink::CreatedAt))
                    .col(timestamp_with_time_zone_null(SsoLink::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SsoLink::Table, SsoLink::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sso_link_provider_subject")
                    .table(SsoLink::Table)
                    .col(SsoLink::Provider)
                    .col(SsoLink::Subject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sso_link_account_provider")
                    .table(SsoLink::Table)
                    .col(SsoLink::AccountId)
                    .col(SsoLink::Provider)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SsoLogin::Table)
                    .col(string(SsoLogin::Id).primary_key())
                    .col(string(SsoLogin::Provider))
                    .col(string(SsoLogin::Browser))
                    .col(string(SsoLogin::Nonce))
                    .col(string(SsoLogin::PkceVerifier))
                    .col(string(SsoLogin::Next))
                    .col(timestamp_with_time_zone(SsoLogin::CreatedAt))
                    .col(timestamp_with_time_zone(SsoLogin::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AppSetting::Table)
                    .col(string(AppSetting::Name).primary_key())
                    .col(string(AppSetting::Value))
                    .col(timestamp_with_time_zone(AppSetting::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // SQLite takes one column per ALTER TABLE.
        for col in [Session::SsoProvider, Session::SsoSubject, Session::SsoSid] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Session::Table)
                        .add_column(string_null(col))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Session::Table)
                    .add_column(text_null(Session::SsoIdToken))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Account::Table)
                    .add_column(boolean(Account::BreakGlass).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Account::Table)
                    .drop_column(Account::BreakGlass)
                    .to_owned(),
            )
            .await?;
        for col in [
            Session::SsoIdToken,
            Session::SsoSid,
            Session::SsoSubject,
            Session::SsoProvider,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Session::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(AppSetting::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SsoLogin::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SsoLink::Table).to_owned())
            .await?;
        Ok(())
    }
}
