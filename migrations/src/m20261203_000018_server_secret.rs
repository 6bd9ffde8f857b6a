//! Secrets every instance must share, generated on first use: the key that
//! signs the errors a no-JavaScript form post is sent back with (so a page
//! shows only errors this server issued). One row per secret, by name.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ServerSecret {
    Table,
    Name,
    Value,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ServerSecret::Table)
                    .col(string(ServerSecret::Name).primary_key())
                    .col(string(ServerSecret::Value))
                    .col(timestamp_with_time_zone(ServerSecret::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ServerSecret::Table).to_owned())
            .await
    }
}
