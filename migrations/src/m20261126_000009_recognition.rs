//! Recognition that people give each other:
//!
//! - `award_kind`: the awards administrators define ("Digital champion",
//!   "Data hero"). Retired, never deleted, so past awards keep their name.
//! - `recognition`: a peer endorsement of a colleague's skill, or a
//!   manager's award of a kind, each with its message (the citation, for an
//!   award). The recipient may hide any from others. The skill and award
//!   names are kept as given, so a later rename does not rewrite history.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AwardKind {
    Table,
    Id,
    Name,
    Description,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Recognition {
    Table,
    Id,
    PersonId,
    Kind,
    SkillCode,
    SkillName,
    AwardKindId,
    AwardName,
    Message,
    GivenById,
    GivenByName,
    CreatedAt,
    Hidden,
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
                    .table(AwardKind::Table)
                    .col(pk_auto(AwardKind::Id))
                    .col(string_uniq(AwardKind::Name))
                    .col(text(AwardKind::Description))
                    .col(boolean(AwardKind::Active).default(true))
                    .col(timestamp_with_time_zone(AwardKind::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Recognition::Table)
                    .col(pk_auto(Recognition::Id))
                    // The recipient.
                    .col(integer(Recognition::PersonId))
                    // "endorsement" or "award".
                    .col(string(Recognition::Kind))
                    // An endorsement's skill, as named when given.
                    .col(string_null(Recognition::SkillCode))
                    .col(string_null(Recognition::SkillName))
                    // An award's kind, as named when given.
                    .col(integer_null(Recognition::AwardKindId))
                    .col(string_null(Recognition::AwardName))
                    // The endorsement's message, or the award's citation.
                    .col(text(Recognition::Message))
                    .col(integer_null(Recognition::GivenById))
                    .col(string(Recognition::GivenByName))
                    .col(timestamp_with_time_zone(Recognition::CreatedAt))
                    .col(boolean(Recognition::Hidden).default(false))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Recognition::Table, Recognition::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Recognition::Table, Recognition::GivenById)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Recognition::Table, Recognition::AwardKindId)
                            .to(AwardKind::Table, AwardKind::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_recognition_person", Recognition::PersonId),
            ("idx_recognition_created", Recognition::CreatedAt),
            ("idx_recognition_given_by", Recognition::GivenById),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Recognition::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Recognition::Table.into_iden(), AwardKind::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
