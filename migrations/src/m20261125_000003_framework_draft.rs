//! Framework files waiting to be published: checked, previewed, then
//! published (or left).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FrameworkDraft {
    Table,
    Id,
    Document,
    SourceName,
    CreatedBy,
    CreatedAt,
    PublishedVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FrameworkDraft::Table)
                    .col(pk_auto(FrameworkDraft::Id))
                    // The validated document, as exchange-format JSON.
                    .col(text(FrameworkDraft::Document))
                    .col(string(FrameworkDraft::SourceName))
                    .col(integer(FrameworkDraft::CreatedBy))
                    .col(timestamp_with_time_zone(FrameworkDraft::CreatedAt))
                    .col(integer_null(FrameworkDraft::PublishedVersion))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FrameworkDraft::Table).to_owned())
            .await
    }
}
