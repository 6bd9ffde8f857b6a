use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Their unit's organisation (kept here so that an organisation's
    /// people are one indexed filter).
    pub organisation_id: i32,
    #[sea_orm(unique)]
    pub employee_number: String,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub staff_group: String,
    pub band: String,
    pub org_unit_id: i32,
    pub job_role_id: Option<i32>,
    pub line_manager_id: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
