//! `llmos login`'s device flow against the loopback GitHub, on a virtual clock.

use std::sync::Mutex;
use std::time::Duration;

use llmos_github::device_flow::{self, DeviceFlowError, PollClock, Wait};
use llmos_github::testing::{DeviceScript, DeviceStep, FakeGithub};
use llmos_github::{GithubClient, GithubConfig};

/// Returns at once and remembers what was asked, so the intervals can be checked.
#[derive(Default)]
struct RecordingClock {
    waits: Mutex<Vec<Duration>>,
    cancel_after: Option<usize>,
}

impl PollClock for RecordingClock {
    async fn sleep(&self, duration: Duration) -> Wait {
        let mut waits = self.waits.lock().unwrap();
        waits.push(duration);
        if self.cancel_after.is_some_and(|n| waits.len() > n) { Wait::Cancelled } else { Wait::Elapsed }
    }
}

impl RecordingClock {
    fn secs(&self) -> Vec<u64> {
        self.waits.lock().unwrap().iter().map(Duration::as_secs).collect()
    }
}

async fn fake_with(steps: Vec<DeviceStep>, expires_in_secs: u64) -> (FakeGithub, tempfile::TempDir) {
    let root = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(root.path()).await.unwrap();
    fake.add_user("alice", "ghp_existing");
    fake.script_device_flow(DeviceScript { client_id: "Iv1.fakeclient".into(), interval_secs: 5, expires_in_secs, steps });
    (fake, root)
}

#[tokio::test]
async fn pending_then_slow_down_then_a_token_that_works() {
    use DeviceStep::*;
    let (fake, _root) = fake_with(vec![Pending, Pending, SlowDown, Pending, Grant { login: "alice".into() }], 900).await;
    let cfg = fake.config();
    let code = device_flow::start(&cfg).await.unwrap();
    assert_eq!(code.user_code, "WDJB-0001");
    assert_eq!(code.verification_uri, format!("{}/login/device", fake.url()));
    assert_eq!(code.interval, Duration::from_secs(5));
    assert_eq!(code.expires_in, Duration::from_secs(900));

    let clock = RecordingClock::default();
    let token = device_flow::poll(&cfg, &code, &clock).await.unwrap();
    assert_eq!(clock.secs(), [5, 5, 5, 10, 10], "interval honoured, +5 s after slow_down");
    assert_eq!(format!("{token:?}"), "Token(<redacted>)");
    assert_eq!(token.to_string(), "<redacted>");

    let user = GithubClient::new(&cfg, token).unwrap().get_user().await.unwrap();
    assert_eq!(user.login, "alice");
    let polls = fake.requests().iter().filter(|r| r.path == "/login/oauth/access_token").count();
    assert_eq!(polls, 5);
}

#[tokio::test]
async fn expired_code_from_github() {
    let (fake, _root) = fake_with(vec![DeviceStep::Pending, DeviceStep::Expired], 900).await;
    let cfg = fake.config();
    let code = device_flow::start(&cfg).await.unwrap();
    let err = device_flow::poll(&cfg, &code, &RecordingClock::default()).await.unwrap_err();
    assert!(matches!(err, DeviceFlowError::Expired), "{err:?}");
    assert!(err.to_string().contains("expired"));
}

#[tokio::test]
async fn expiry_is_counted_locally_too() {
    // GitHub would keep saying "pending"; after expires_in the code is dead anyway.
    let (fake, _root) = fake_with(vec![DeviceStep::Pending; 100], 12).await;
    let cfg = fake.config();
    let code = device_flow::start(&cfg).await.unwrap();
    let clock = RecordingClock::default();
    let err = device_flow::poll(&cfg, &code, &clock).await.unwrap_err();
    assert!(matches!(err, DeviceFlowError::Expired), "{err:?}");
    assert_eq!(clock.secs(), [5, 5, 5]);
    let polls = fake.requests().iter().filter(|r| r.path == "/login/oauth/access_token").count();
    assert_eq!(polls, 2, "no poll after the code expired");
}

#[tokio::test]
async fn denied_in_the_browser() {
    let (fake, _root) = fake_with(vec![DeviceStep::Pending, DeviceStep::Denied], 900).await;
    let cfg = fake.config();
    let code = device_flow::start(&cfg).await.unwrap();
    let err = device_flow::poll(&cfg, &code, &RecordingClock::default()).await.unwrap_err();
    assert!(matches!(err, DeviceFlowError::Denied), "{err:?}");
}

#[tokio::test]
async fn cancelled_by_the_caller() {
    let (fake, _root) = fake_with(vec![DeviceStep::Pending; 10], 900).await;
    let cfg = fake.config();
    let code = device_flow::start(&cfg).await.unwrap();
    let clock = RecordingClock { cancel_after: Some(2), ..RecordingClock::default() };
    let err = device_flow::poll(&cfg, &code, &clock).await.unwrap_err();
    assert!(matches!(err, DeviceFlowError::Cancelled), "{err:?}");
    assert_eq!(fake.requests().iter().filter(|r| r.path == "/login/oauth/access_token").count(), 2);
}

#[tokio::test]
async fn wrong_client_id_and_disabled_flow_are_refusals() {
    let (fake, _root) = fake_with(vec![], 900).await;
    let cfg = GithubConfig { client_id: Some("Iv1.wrong".into()), ..fake.config() };
    let err = device_flow::start(&cfg).await.unwrap_err();
    assert!(matches!(err, DeviceFlowError::Unexpected { status: 404, .. }), "{err:?}");

    let root = tempfile::tempdir().unwrap();
    let unscripted = FakeGithub::start(root.path()).await.unwrap();
    let cfg = GithubConfig { client_id: Some("Iv1.any".into()), ..unscripted.config() };
    let err = device_flow::start(&cfg).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("device_flow_disabled") && msg.contains("explicitly enabled"), "{msg}");
}

#[tokio::test]
async fn a_stale_device_code_is_refused() {
    let (fake, _root) = fake_with(vec![DeviceStep::Pending], 900).await;
    let cfg = fake.config();
    let first = device_flow::start(&cfg).await.unwrap();
    let _second = device_flow::start(&cfg).await.unwrap();
    let err = device_flow::poll(&cfg, &first, &RecordingClock::default()).await.unwrap_err();
    assert!(err.to_string().contains("incorrect_device_code"), "{err}");
}

#[tokio::test]
async fn unreachable_oauth_host() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let cfg = GithubConfig { oauth_url: Some(format!("http://127.0.0.1:{port}")), client_id: Some("x".into()), ..GithubConfig::default() };
    let err = device_flow::start(&cfg).await.unwrap_err();
    assert!(err.to_string().starts_with(&format!("cannot reach 127.0.0.1:{port}: ")), "{err}");
}
