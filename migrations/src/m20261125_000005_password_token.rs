//! One-time set-password links for accounts created without a password
//! (by an HR import). Only the token's SHA-256 is stored.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PasswordToken {
    Table,
    Id,
    TokenHash,
    AccountId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PasswordToken::Table)
                    .col(pk_auto(PasswordToken::Id))
                    .col(string_uniq(PasswordToken::TokenHash))
                    .col(integer(PasswordToken::AccountId))
                    .col(timestamp_with_time_zone(PasswordToken::CreatedAt))
                    .col(timestamp_with_time_zone(PasswordToken::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PasswordToken::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PasswordToken::Table, PasswordToken::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_password_token_account")
                    .table(PasswordToken::Table)
                    .col(PasswordToken::AccountId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PasswordToken::Table).to_owned())
            .await
    }
}
