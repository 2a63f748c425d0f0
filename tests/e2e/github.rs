//! GitHub login through the binary against a loopback stand-in for GitHub's REST API
//! and device flow.

use llmos_github::testing::{DeviceScript, DeviceStep, FakeGithub};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_runs_the_device_flow_and_stores_the_token_outside_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(dir.path().join("repos")).await.unwrap();
    fake.add_user("alice", "ghp_existing_alice_token");
    fake.script_device_flow(DeviceScript {
        client_id: "llmos-test-client".into(),
        interval_secs: 0,
        expires_in_secs: 60,
        steps: vec![DeviceStep::Pending, DeviceStep::Grant { login: "alice".into() }],
    });
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(ws.join("llmos.toml"), format!("[github]\napi_url = \"{0}\"\noauth_url = \"{0}\"\nclient_id = \"llmos-test-client\"\n", fake.url()))
        .unwrap();
    let config_dir = dir.path().join("config");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmos"))
        .arg("login")
        .current_dir(&ws)
        .env("LLMOS_CONFIG_DIR", &config_dir)
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("enter the code") && stdout.contains("Logged in to GitHub as alice"), "{stdout}");
    let token_file = config_dir.join("github-token");
    let token = std::fs::read_to_string(&token_file).unwrap();
    assert!(!token.trim().is_empty());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // the token is nowhere in the workspace or the output
    assert!(!stdout.contains(token.trim()));
    assert!(!crate::harness::contains_anywhere(&ws, token.trim()));

    // a token from the environment is used first: no device flow
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmos"))
        .arg("login")
        .current_dir(&ws)
        .env("LLMOS_CONFIG_DIR", &config_dir)
        .env("GITHUB_TOKEN", "ghp_existing_alice_token")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains("as alice") && !stdout.contains("enter the code"), "{stdout}");
    assert!(!stdout.contains("ghp_existing_alice_token"));
    // a refused token: exit 2 with a clear message, the token not echoed
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmos"))
        .arg("login")
        .current_dir(&ws)
        .env("LLMOS_CONFIG_DIR", &config_dir)
        .env("GITHUB_TOKEN", "ghp_canary_refused_token")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refused") && !stderr.contains("ghp_canary_refused_token"), "{stderr}");
}

#[tokio::test]
async fn login_through_the_lsp_shows_the_code_and_reports_a_denial() {
    use crate::harness::TestServer;
    use serde_json::json;
    let repos = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(repos.path().join("repos")).await.unwrap();
    fake.script_device_flow(DeviceScript {
        client_id: "cid".into(),
        interval_secs: 0,
        expires_in_secs: 60,
        steps: vec![DeviceStep::Pending, DeviceStep::Denied],
    });
    let fixture = format!(
        "//- llmos.toml\n[github]\napi_url = \"{0}\"\noauth_url = \"{0}\"\nclient_id = \"cid\"\ntoken_env = \"LLMOS_TEST_TOKEN_VAR_NEVER_SET\"\n",
        fake.url()
    );
    let s = TestServer::start(&fixture).await;
    let r = s.call("workspace/executeCommand", json!({ "command": "llmos.github.login", "arguments": [{}] })).await;
    let code = r["userCode"].as_str().unwrap().to_string();
    assert!(!code.is_empty());
    let shown = s.requests.lock().unwrap().iter().find(|(m, _)| m == "window/showDocument").map(|(_, p)| p.clone()).expect("verification page opened");
    assert_eq!(shown["uri"].as_str().unwrap().trim_end_matches('/'), r["verificationUri"].as_str().unwrap().trim_end_matches('/'));
    assert_eq!(shown["external"], true);
    let msg =
        s.wait_for("login failure", |m| m["method"] == "window/showMessage" && m["params"]["message"].as_str().unwrap_or("").contains("login failed")).await;
    assert!(msg["params"]["message"].as_str().unwrap().contains("denied"), "{msg}");
}
