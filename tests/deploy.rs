//! The deployment examples in `deploy/` (issue 15 point 7) cannot be started in CI
//! (no Docker there), so what can go stale is checked: the configuration they mount
//! loads, and every mailroom command they name exists. (No YAML parser is in
//! Cargo.lock; the compose file is read line by line for its commands.)

mod common;

use std::path::Path;
use std::process::Command;

use common::MAILROOM;

fn deploy(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(name)
}

/// The argument lists of the compose file's `command: ["mailroom", …]` lines.
fn compose_commands() -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(deploy("docker-compose.yml")).unwrap();
    // Each is a JSON array of strings (a YAML flow sequence of quoted strings).
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("command: "))
        .filter_map(|list| serde_json::from_str::<Vec<String>>(list).ok())
        .filter(|args| args[0] == "mailroom")
        .map(|args| args[1..].to_vec())
        .collect()
}

#[test]
fn the_compose_file_names_commands_that_exist_with_the_config_it_mounts() {
    let commands = compose_commands();
    let subcommands: Vec<&str> = commands.iter().map(|c| c[2].as_str()).collect();
    assert_eq!(subcommands, ["run", "run", "serve"], "{commands:?}");
    let text = std::fs::read_to_string(deploy("docker-compose.yml")).unwrap();
    for args in &commands {
        assert_eq!(args[0], "--config");
        let mounted = Path::new(&args[1]).file_name().unwrap().to_str().unwrap();
        assert!(
            text.contains(&format!("./{mounted}:{}:ro", args[1])),
            "{} is not mounted from deploy/",
            args[1]
        );
        let sub = &args[2];
        let out = Command::new(MAILROOM)
            .args([sub, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success(), "mailroom {sub} --help");
    }
    // The environment names what the configuration leaves to it.
    for var in [
        "MAILROOM_DATABASE_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ] {
        assert!(text.contains(&format!("{var}:")), "{var}");
    }
}

#[test]
fn the_cluster_configuration_loads_with_its_secrets_from_the_environment() {
    std::env::set_var(
        "MAILROOM_DATABASE_URL",
        "postgres://mailroom:pw@postgres:5432/mailroom",
    );
    std::env::set_var("AWS_ACCESS_KEY_ID", "mailroom");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "secret");
    let cfg = mailroom::config::Config::load(&deploy("cluster.toml"), true)
        .unwrap_or_else(|e| panic!("deploy/cluster.toml: {e}"));
    assert!(matches!(
        cfg.database,
        mailroom::config::database::Database::Postgres(_)
    ));
    let mailroom::config::blobs::BlobLocation::S3(s3) = &cfg.blobs else {
        panic!("blobs: {:?}", cfg.blobs);
    };
    assert_eq!(s3.url(), "s3://mailroom/blobs");
    assert_eq!(s3.endpoint.as_deref(), Some("http://minio:9000"));
    assert!(s3.credentials.is_some());

    // The parts each `run --only` names are accepted on this configuration, and the
    // services together do every part.
    use clap::ValueEnum;
    use mailroom::service::{Role, Roles};
    let mut every = Vec::new();
    for args in compose_commands().iter().filter(|a| a[2] == "run") {
        let at = args.iter().position(|a| a == "--only").expect("run --only");
        let roles: Vec<Role> = args[at + 1]
            .split(',')
            .map(|r| Role::from_str(r, false).unwrap_or_else(|e| panic!("{r}: {e}")))
            .collect();
        Roles::only(&roles)
            .check(&cfg)
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        every.extend(roles);
    }
    assert_eq!(Roles::only(&every), Roles::all(), "{every:?}");
}
