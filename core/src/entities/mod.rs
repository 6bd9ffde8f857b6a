//! sea-orm entities: the tables as rows, no logic. They never cross the wire:
//! each capability maps them to its own `model` types.

pub mod account;
pub mod app_setting;
pub mod assessment;
pub mod assessment_event;
pub mod audit_event;
pub mod audit_repeat;
pub mod award_kind;
pub mod badge;
pub mod domain;
pub mod framework;
pub mod framework_draft;
pub mod import_job;
pub mod issuer_key;
pub mod job_role;
pub mod learning_resource;
pub mod mentor;
pub mod org_unit;
pub mod password_token;
pub mod pathway;
pub mod pathway_step;
pub mod person;
pub mod person_capability;
pub mod recognition;
pub mod resource_skill;
pub mod role_requirement;
pub mod session;
pub mod sign_in_backoff;
pub mod skill;
pub mod skill_descriptor;
pub mod sso_link;
pub mod sso_login;
pub mod unit_domain_month;
pub mod unit_skill_stat;
