//! Diesel table definitions, shared by both dialects (kept by hand; see diesel.toml).

diesel::table! {
    users (id) {
        id -> BigInt,
        public_id -> Text,
        email -> Text,
        email_verified -> Bool,
        name -> Text,
        given_name -> Nullable<Text>,
        family_name -> Nullable<Text>,
        picture -> Nullable<Text>,
        locale -> Nullable<Text>,
        role -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
        invited -> Bool,
    }
}

diesel::table! {
    sessions (jti) {
        jti -> Text,
        user_id -> BigInt,
        kind -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        auth_time -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
        replaced_by -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        ip -> Nullable<Text>,
        name -> Nullable<Text>,
    }
}

diesel::table! {
    identities (id) {
        id -> BigInt,
        user_id -> BigInt,
        provider -> Text,
        subject -> Text,
        email -> Nullable<Text>,
        email_verified -> Bool,
        name -> Nullable<Text>,
        picture -> Nullable<Text>,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(identities -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(users, sessions, identities);

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        actor_label -> Text,
        action -> Text,
        target_id -> Nullable<BigInt>,
        target_label -> Nullable<Text>,
        detail -> Nullable<Text>,
        ip -> Nullable<Text>,
    }
}

diesel::table! {
    used_signin_states (state_hash) {
        state_hash -> Text,
        expires_at -> Timestamp,
    }
}
