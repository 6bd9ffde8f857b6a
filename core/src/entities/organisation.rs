use sea_orm::entity::prelude::*;

/// A tenant: one NHS organisation (a trust, a primary care network) of
/// the integrated care system the deployment serves.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// A short code, unique in the deployment (an ODS code, say).
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub created_at: DateTimeUtc,
    /// Password sign-in closed to all but this organisation's break-glass
    /// administrators (people sign in by single sign-on).
    pub password_break_glass_only: bool,
    /// The skills review cycle: months between reviews (0: off), and the
    /// reminders' days before and after the due date (0: none).
    pub review_months: i32,
    pub review_remind_before_days: i32,
    pub review_remind_after_days: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
