//! `opp-admin`'s integration tests: each command against a real DynamoDB-compatible store
//! (`opp_store::testkit`), the deploy role's calls, and the organisers' guide's table queries. One module per area.

mod admin;
mod deploy_role;
mod erasure;
mod prune;
mod table_queries;
