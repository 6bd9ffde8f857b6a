//! `review_base`: where each person's current review cycle starts, kept
//! as the changes that move it happen (their first self-assessment, each
//! review they complete), so that counting a part of the organisation's
//! reviews reads one row per person instead of grouping every assessment
//! event of the organisation (250 ms of CPU per organisation view at
//! 20,000 staff, the load bench's costliest request). Filled here from the
//! history already recorded.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReviewBase {
    Table,
    PersonId,
    FirstAssessedAt,
    LastReviewAt,
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
                    .table(ReviewBase::Table)
                    .col(integer(ReviewBase::PersonId).primary_key())
                    .col(timestamp_with_time_zone_null(ReviewBase::FirstAssessedAt))
                    .col(timestamp_with_time_zone_null(ReviewBase::LastReviewAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReviewBase::Table, ReviewBase::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO review_base (person_id, first_assessed_at, last_review_at) \
             SELECT person_id, MIN(at), NULL FROM assessment_event GROUP BY person_id",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE review_base SET last_review_at = \
             (SELECT MAX(r.completed_at) FROM skills_review r WHERE r.person_id = review_base.person_id)",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO review_base (person_id, first_assessed_at, last_review_at) \
             SELECT r.person_id, NULL, MAX(r.completed_at) FROM skills_review r \
             WHERE r.person_id NOT IN (SELECT person_id FROM review_base) GROUP BY r.person_id",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReviewBase::Table).to_owned())
            .await
    }
}
