//! Skills review cycles.
//!
//! - `skills_review`: each time a person completed a review of their skills
//!   profile (confirming or changing each level); the latest one starts
//!   the next cycle.
//! - `review_fixed_date`: a unit whose people are all due on a fixed date
//!   (and every cycle from it), instead of a year after their own last
//!   review. The organisation's rule (months between reviews, reminder
//!   days) is in `app_setting`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SkillsReview {
    Table,
    Id,
    PersonId,
    CompletedAt,
    Confirmed,
    Changed,
}

#[derive(DeriveIden)]
enum ReviewFixedDate {
    Table,
    UnitId,
    DueDate,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OrgUnit {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SkillsReview::Table)
                    .col(pk_auto(SkillsReview::Id))
                    .col(integer(SkillsReview::PersonId))
                    .col(timestamp_with_time_zone(SkillsReview::CompletedAt))
                    .col(integer(SkillsReview::Confirmed))
                    .col(integer(SkillsReview::Changed))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SkillsReview::Table, SkillsReview::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("skills_review_person")
                    .table(SkillsReview::Table)
                    .col(SkillsReview::PersonId)
                    .col(SkillsReview::CompletedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReviewFixedDate::Table)
                    .col(integer(ReviewFixedDate::UnitId).primary_key())
                    .col(date(ReviewFixedDate::DueDate))
                    .col(timestamp_with_time_zone(ReviewFixedDate::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReviewFixedDate::Table, ReviewFixedDate::UnitId)
                            .to(OrgUnit::Table, OrgUnit::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReviewFixedDate::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SkillsReview::Table).to_owned())
            .await
    }
}
