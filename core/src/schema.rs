//! diesel table definitions, mirroring `migrations/`.

diesel::table! {
    orgs (id) {
        id -> Uuid,
        slug -> Text,
        name -> Text,
        status -> Text,
        timezone -> Text,
        retention_days -> Int4,
        projection_epoch -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    users (org_id, user_id) {
        org_id -> Uuid,
        user_id -> Text,
        email -> Nullable<Text>,
        name -> Nullable<Text>,
        role -> Nullable<Text>,
        first_seen_at -> Nullable<Timestamptz>,
        last_active_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    event_keys (org_id, event_id) {
        org_id -> Uuid,
        event_id -> Uuid,
        occurred_at -> Timestamptz,
    }
}

diesel::table! {
    session_owners (org_id, session_id) {
        org_id -> Uuid,
        session_id -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    events (org_id, occurred_at, event_id) {
        org_id -> Uuid,
        occurred_at -> Timestamptz,
        event_id -> Uuid,
        event_type -> Text,
        session_id -> Text,
        user_id -> Text,
        run_id -> Nullable<Text>,
        payload -> Jsonb,
        received_at -> Timestamptz,
    }
}

diesel::table! {
    projection_queue (org_id, event_id) {
        org_id -> Uuid,
        event_id -> Uuid,
        seq -> Int8,
        occurred_at -> Timestamptz,
        enqueued_at -> Timestamptz,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    dead_letters (org_id, event_id) {
        org_id -> Uuid,
        event_id -> Uuid,
        occurred_at -> Timestamptz,
        attempts -> Int4,
        error -> Text,
        failed_at -> Timestamptz,
    }
}

diesel::table! {
    audit_log (org_id, id) {
        org_id -> Uuid,
        id -> Int8,
        at -> Timestamptz,
        actor_sub -> Text,
        actor_role -> Text,
        action -> Text,
        detail -> Jsonb,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    orgs,
    users,
    event_keys,
    session_owners,
    events,
    projection_queue,
    dead_letters,
    audit_log,
);
