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
        email_at -> Nullable<Timestamptz>,
        email_event -> Nullable<Uuid>,
        name_at -> Nullable<Timestamptz>,
        name_event -> Nullable<Uuid>,
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
    run_owners (org_id, run_id) {
        org_id -> Uuid,
        run_id -> Text,
        session_id -> Text,
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
        target -> Nullable<Text>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Uuid,
        org_id -> Nullable<Uuid>,
        name -> Text,
        prefix -> Text,
        hash -> Bytea,
        created_by -> Text,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    org_members (org_id, user_id) {
        org_id -> Uuid,
        user_id -> Text,
        role -> Nullable<Text>,
        token_role -> Nullable<Text>,
        disabled -> Bool,
        set_by -> Nullable<Text>,
        set_at -> Nullable<Timestamptz>,
        last_seen_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    teams (org_id, id) {
        org_id -> Uuid,
        id -> Uuid,
        name -> Text,
        created_by -> Text,
        created_at -> Timestamptz,
        members_version -> Int4,
    }
}

diesel::table! {
    team_members (org_id, team_id, user_id) {
        org_id -> Uuid,
        team_id -> Uuid,
        user_id -> Text,
    }
}

diesel::table! {
    // Also: agent, model_calls, … pull_requests (migration 2026-12-04-000002), read
    // with SQL: a table! of more than 32 columns would need a larger diesel feature.
    sessions (org_id, session_id) {
        org_id -> Uuid,
        session_id -> Text,
        user_id -> Text,
        started_at -> Timestamptz,
        last_event_at -> Timestamptz,
        day -> Date,
        event_count -> Int4,
        message_count -> Int4,
        run_count -> Int4,
        succeeded_runs -> Int4,
        failed_runs -> Int4,
        cancelled_runs -> Int4,
        cost_usd -> Numeric,
        input_tokens -> Int8,
        output_tokens -> Int8,
        active_time_ms -> Int8,
        handed_off -> Bool,
        iterated_after_handoff -> Bool,
        attributes -> Jsonb,
        projected_at -> Timestamptz,
    }
}

diesel::table! {
    runs (org_id, run_id) {
        org_id -> Uuid,
        run_id -> Text,
        session_id -> Text,
        user_id -> Text,
        status -> Text,
        model -> Nullable<Text>,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        day -> Nullable<Date>,
        duration_ms -> Nullable<Int8>,
        error_category -> Nullable<Text>,
        error_message -> Nullable<Text>,
        input_tokens -> Int8,
        output_tokens -> Int8,
        cost_usd -> Numeric,
        model_calls -> Int4,
        failed_model_calls -> Int4,
        cache_read_tokens -> Int8,
        cache_creation_tokens -> Int8,
        tool_calls -> Int4,
        cost_source -> Text,
    }
}

diesel::table! {
    handoffs (org_id, event_id) {
        org_id -> Uuid,
        event_id -> Uuid,
        session_id -> Text,
        user_id -> Text,
        at -> Timestamptz,
        target -> Text,
        iterated -> Bool,
    }
}

diesel::table! {
    org_daily (org_id, day) {
        org_id -> Uuid,
        day -> Date,
        active_users -> Int4,
        event_count -> Int8,
        sessions -> Int4,
        session_runs -> Int8,
        session_active_ms -> Int8,
        handed_off -> Int4,
        iterated -> Int4,
        runs -> Int4,
        succeeded -> Int4,
        failed -> Int4,
        cancelled -> Int4,
        cost_usd -> Numeric,
        input_tokens -> Int8,
        output_tokens -> Int8,
        failed_tool -> Int4,
        failed_model -> Int4,
        failed_timeout -> Int4,
        failed_other -> Int4,
    }
}

diesel::table! {
    user_daily (org_id, user_id, day) {
        org_id -> Uuid,
        user_id -> Text,
        day -> Date,
        event_count -> Int8,
        sessions -> Int4,
        session_runs -> Int8,
        session_active_ms -> Int8,
        handed_off -> Int4,
        iterated -> Int4,
        runs -> Int4,
        succeeded -> Int4,
        failed -> Int4,
        cancelled -> Int4,
        cost_usd -> Numeric,
        input_tokens -> Int8,
        output_tokens -> Int8,
        failed_tool -> Int4,
        failed_model -> Int4,
        failed_timeout -> Int4,
        failed_other -> Int4,
    }
}

diesel::table! {
    org_daily_durations (org_id, day, bucket) {
        org_id -> Uuid,
        day -> Date,
        bucket -> Int4,
        count -> Int8,
    }
}

diesel::table! {
    user_weekly (org_id, week, user_id) {
        org_id -> Uuid,
        week -> Date,
        user_id -> Text,
        event_count -> Int8,
        runs -> Int8,
        cost_usd -> Numeric,
    }
}

diesel::table! {
    org_weekly_durations (org_id, week, bucket) {
        org_id -> Uuid,
        week -> Date,
        bucket -> Int4,
        count -> Int8,
    }
}

diesel::table! {
    user_daily_durations (org_id, user_id, day, bucket) {
        org_id -> Uuid,
        user_id -> Text,
        day -> Date,
        bucket -> Int4,
        count -> Int8,
    }
}

diesel::table! {
    rollup_contributions (org_id, session_id) {
        org_id -> Uuid,
        session_id -> Text,
        contribution -> Jsonb,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    orgs,
    users,
    event_keys,
    session_owners,
    run_owners,
    events,
    projection_queue,
    dead_letters,
    audit_log,
    api_keys,
    org_members,
    teams,
    team_members,
    sessions,
    runs,
    handoffs,
    org_daily,
    user_daily,
    user_weekly,
    org_weekly_durations,
    org_daily_durations,
    user_daily_durations,
    rollup_contributions,
);

diesel::table! {
    alert_channels (id) {
        id -> Uuid,
        org_id -> Uuid,
        name -> Text,
        kind -> Text,
        url -> Text,
        signing_secret -> Text,
        created_by -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    alert_deliveries (id) {
        id -> Uuid,
        org_id -> Uuid,
        channel_id -> Uuid,
        purpose -> Text,
        body -> Jsonb,
        status -> Text,
        attempts -> Int4,
        response_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    alert_rules (id) {
        id -> Uuid,
        org_id -> Uuid,
        name -> Text,
        metric -> Text,
        window -> Text,
        comparison -> Text,
        threshold -> Float8,
        warn_at -> Nullable<Float8>,
        team_id -> Nullable<Uuid>,
        user_id -> Nullable<Text>,
        channel_ids -> Array<Uuid>,
        enabled -> Bool,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        revision -> Int4,
    }
}

diesel::table! {
    alert_states (rule_id) {
        rule_id -> Uuid,
        org_id -> Uuid,
        window_start -> Timestamptz,
        state -> Text,
        value -> Nullable<Float8>,
        evaluated_at -> Timestamptz,
        revision -> Int4,
        threshold -> Nullable<Float8>,
    }
}
