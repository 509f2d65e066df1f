//! The committed schema.graphql is what `agentmon schema` prints.

#[test]
fn committed_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let printed = agentmon_api::graphql::sdl();
    if committed != printed && std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &printed).unwrap_or_else(|e| panic!("{e}"));
        return;
    }
    assert!(
        committed == printed,
        "schema.graphql differs from the code's schema; run `cargo run -- schema > schema.graphql` \
         (or UPDATE_SCHEMA=1 cargo nextest run committed_schema) and commit it"
    );
}

#[test]
fn the_binary_prints_the_same_schema() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_agentmon"))
        .arg("schema")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        agentmon_api::graphql::sdl()
    );
}
