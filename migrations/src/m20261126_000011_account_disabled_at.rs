//! When an account was disabled, for the retention review (accounts
//! disabled longer than the retention period are listed for erasure).
//! Accounts disabled before this change have no date: the review lists them
//! too, as "before dates were recorded".

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Account {
    Table,
    DisabledAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Account::Table)
                    .add_column(timestamp_with_time_zone_null(Account::DisabledAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Account::Table)
                    .drop_column(Account::DisabledAt)
                    .to_owned(),
            )
            .await
    }
}
