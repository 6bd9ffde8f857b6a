//! Who may use a set-password link: the role of whoever issued it. A link
//! is a way into its account, so one issued by HR must not open an HR or
//! administrator account, even if the account was given that role after the
//! link was issued. Links issued before this change have no issuer role and
//! count as HR's: they still work for staff and managers only.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PasswordToken {
    Table,
    IssuerRole,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PasswordToken::Table)
                    .add_column(string_null(PasswordToken::IssuerRole))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PasswordToken::Table)
                    .drop_column(PasswordToken::IssuerRole)
                    .to_owned(),
            )
            .await
    }
}
