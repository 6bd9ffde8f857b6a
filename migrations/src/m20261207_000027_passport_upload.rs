//! `passport_upload`: a skills passport a person has uploaded to bring
//! their agreed levels from another Skillmap, kept between the upload and
//! their confirming it (the page shows what it would add first). It is
//! removed when they import it or upload another; erasing the person
//! removes it with them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PassportUpload {
    Table,
    Id,
    PersonId,
    Token,
    UploadedAt,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PassportUpload::Table)
                    .col(pk_auto(PassportUpload::Id))
                    .col(integer(PassportUpload::PersonId))
                    .col(text(PassportUpload::Token))
                    .col(timestamp_with_time_zone(PassportUpload::UploadedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PassportUpload::Table, PassportUpload::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_passport_upload_person")
                    .table(PassportUpload::Table)
                    .col(PassportUpload::PersonId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PassportUpload::Table).to_owned())
            .await
    }
}
