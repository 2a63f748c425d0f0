//! The REST client against the loopback GitHub over real TCP.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use llmos_github::testing::{CreateFailure, FakeGithub};
use llmos_github::{GithubClient, GithubConfig, GithubError, Token};

const ALICE_TOKEN: &str = "ghp_CANARY_alice_0123456789abcdef";

async fn fake() -> (FakeGithub, tempfile::TempDir) {
    let root = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(root.path().join("repos")).await.unwrap();
    fake.add_user("alice", ALICE_TOKEN);
    fake.add_user("bob", "ghp_bob_token");
    fake.add_org("acme", &["alice"]);
    (fake, root)
}

fn client(fake: &FakeGithub, token: &str) -> GithubClient {
    GithubClient::new(&fake.config(), Token::new(token).unwrap()).unwrap()
}

fn assert_no_canary(text: &str) {
    assert!(!text.contains("CANARY"), "token leaked into: {text}");
}

#[tokio::test]
async fn ensure_creates_a_private_user_repository_then_reuses_it() {
    let (fake, _root) = fake().await;
    let gh = client(&fake, ALICE_TOKEN);

    let first = gh.ensure_repository("alice", "llmunix-user-alice", true).await.unwrap();
    assert!(first.created);
    assert_eq!(first.repo.full_name, "alice/llmunix-user-alice");
    assert!(first.repo.private);
    assert_eq!(first.repo.owner.kind.as_deref(), Some("User"));
    assert!(fake.bare_repo_path("alice", "llmunix-user-alice").join("HEAD").is_file(), "a real bare repository was made");

    let second = gh.ensure_repository("alice", "llmunix-user-alice", true).await.unwrap();
    assert!(!second.created);
    assert_eq!(second.repo.id, first.repo.id);
    let posts: Vec<_> = fake.requests().into_iter().filter(|r| r.method == "POST").collect();
    assert_eq!(posts.len(), 1, "created once: {posts:?}");
    assert_eq!(posts[0].path, "/user/repos");
}

#[tokio::test]
async fn ensure_creates_in_an_organisation_when_the_owner_is_not_the_user() {
    let (fake, _root) = fake().await;
    let gh = client(&fake, ALICE_TOKEN);
    let team = gh.ensure_repository("acme", "team-skills", false).await.unwrap();
    assert!(team.created);
    assert_eq!(team.repo.owner.kind.as_deref(), Some("Organization"));
    assert!(!team.repo.private);
    assert!(fake.requests().iter().any(|r| r.method == "POST" && r.path == "/orgs/acme/repos" && r.status == 201));
    assert!(fake.bare_repo_path("acme", "team-skills").join("HEAD").is_file());

    // Owner names are case-insensitive on GitHub.
    let mine = gh.ensure_repository("Alice", "notes", true).await.unwrap();
    assert!(mine.created);
    assert!(fake.requests().iter().any(|r| r.path == "/user/repos"));
}

#[tokio::test]
async fn org_without_membership_or_unknown_owner_are_clear_errors() {
    let (fake, _root) = fake().await;
    let bob = client(&fake, "ghp_bob_token");
    let err = bob.ensure_repository("acme", "team", false).await.unwrap_err();
    assert!(matches!(err, GithubError::Forbidden { .. }), "{err:?}");
    assert!(err.to_string().contains("admin access to the organization"), "{err}");
    assert!(!fake.repo_exists("acme", "team"));

    let err = bob.ensure_repository("nobody-here", "x", true).await.unwrap_err();
    assert!(matches!(err, GithubError::NotFound { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("`nobody-here` is neither the signed-in user (bob) nor an organisation"), "{msg}");
}

#[tokio::test]
async fn get_repo_is_none_on_404_and_private_repos_of_others_are_invisible() {
    let (fake, _root) = fake().await;
    fake.add_repo("alice", "secret", true).await.unwrap();
    fake.add_repo("alice", "public", false).await.unwrap();
    let bob = client(&fake, "ghp_bob_token");
    assert!(bob.get_repo("alice", "secret").await.unwrap().is_none());
    assert_eq!(bob.get_repo("alice", "public").await.unwrap().unwrap().full_name, "alice/public");
    assert!(bob.get_repo("alice", "missing").await.unwrap().is_none());
    let alice = client(&fake, ALICE_TOKEN);
    assert!(alice.get_repo("alice", "secret").await.unwrap().unwrap().private);
}

#[tokio::test]
async fn invalid_names_are_refused_before_any_request() {
    let (fake, _root) = fake().await;
    let gh = client(&fake, ALICE_TOKEN);
    let err = gh.ensure_repository("alice", "has space", true).await.unwrap_err();
    assert!(matches!(err, GithubError::InvalidName(_)), "{err:?}");
    assert!(err.to_string().contains("whitespace"));
    assert!(gh.create_org_repo("-acme", "x", true).await.is_err());
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn refused_token_is_a_401_with_advice_and_no_token() {
    let (fake, _root) = fake().await;
    let gh = client(&fake, "ghp_CANARY_unknown_token_value");
    let err = gh.get_user().await.unwrap_err();
    assert!(matches!(err, GithubError::TokenRefused { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("refused the token") && msg.contains("Bad credentials") && msg.contains("llmos login"), "{msg}");
    assert_no_canary(&msg);
    assert_no_canary(&format!("{err:?}"));
    assert_no_canary(&format!("{gh:?}"));

    let err = gh.ensure_repository("alice", "x", true).await.unwrap_err();
    assert!(matches!(err, GithubError::TokenRefused { .. }));
}

#[tokio::test]
async fn create_failures_carry_githubs_messages() {
    let (fake, _root) = fake().await;
    let gh = client(&fake, ALICE_TOKEN);

    fake.fail_creates(Some(CreateFailure::Forbidden));
    let err = gh.ensure_repository("alice", "blocked", true).await.unwrap_err();
    assert!(matches!(err, GithubError::Forbidden { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("403") && msg.contains("Resource not accessible by personal access token") && msg.contains("repo` scope"), "{msg}");

    fake.fail_creates(Some(CreateFailure::Unprocessable { detail: "name is reserved".into() }));
    let err = gh.create_user_repo("reserved", true).await.unwrap_err();
    let GithubError::Validation { message, details, .. } = &err else { panic!("{err:?}") };
    assert_eq!(message, "Repository creation failed.");
    assert_eq!(details, &["name is reserved".to_string()]);
    assert!(err.to_string().contains("Repository creation failed. (name is reserved)"), "{err}");
    assert!(!fake.bare_repo_path("alice", "reserved").exists());
    assert_no_canary(&format!("{err} {err:?}"));
}

#[tokio::test]
async fn creating_an_existing_name_directly_is_a_422_but_ensure_uses_it() {
    let (fake, _root) = fake().await;
    let gh = client(&fake, ALICE_TOKEN);
    fake.add_repo("alice", "taken", true).await.unwrap();
    let err = gh.create_user_repo("taken", true).await.unwrap_err();
    assert!(err.to_string().contains("name already exists on this account"), "{err}");
    let ensured = gh.ensure_repository("alice", "taken", true).await.unwrap();
    assert!(!ensured.created);
}

#[tokio::test]
async fn conditional_gets_use_the_etag_cache() {
    let (fake, _root) = fake().await;
    let gh = client(&fake, ALICE_TOKEN);
    let first = gh.get_user().await.unwrap();
    let second = gh.get_user().await.unwrap();
    let third = gh.get_user().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(second, third);
    assert_eq!(first.login, "alice");
    assert_eq!(fake.full_responses("/user"), 1);
    assert_eq!(fake.not_modified_responses("/user"), 2);
    let conditional = fake.requests().iter().filter(|r| r.path == "/user" && r.conditional).count();
    assert_eq!(conditional, 2);
    let remaining = gh.rate_limit().unwrap().remaining;
    assert_eq!(remaining, 4999, "304s do not spend the rate limit");

    // A different token has its own cache and its own ETag.
    let bob = client(&fake, "ghp_bob_token");
    assert_eq!(bob.get_user().await.unwrap().login, "bob");
    assert_eq!(fake.full_responses("/user"), 2);
}

#[tokio::test]
async fn a_short_rate_limit_is_waited_out() {
    let (fake, _root) = fake().await;
    let gh = client(&fake, ALICE_TOKEN);
    fake.exhaust_rate_limit(Duration::from_millis(900));
    let started = Instant::now();
    let user = gh.get_user().await.unwrap();
    assert_eq!(user.login, "alice");
    assert!(started.elapsed() >= Duration::from_millis(200), "it waited: {:?}", started.elapsed());
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [403, 200]);
}

#[tokio::test]
async fn a_long_rate_limit_is_reported_with_its_reset_time() {
    let (fake, _root) = fake().await;
    let gh = client(&fake, ALICE_TOKEN);
    fake.exhaust_rate_limit(Duration::from_secs(3600));
    let started = Instant::now();
    let err = gh.ensure_repository("alice", "x", true).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "did not wait an hour");
    let GithubError::RateLimited { reset_at } = err else { panic!("{err:?}") };
    let reset_in = reset_at.duration_since(SystemTime::now()).unwrap();
    assert!(reset_in > Duration::from_secs(3590) && reset_in <= Duration::from_secs(3601), "{reset_in:?}");
    let msg = err.to_string();
    let epoch = reset_at.duration_since(UNIX_EPOCH).unwrap().as_secs();
    assert!(msg.contains("rate limit") && msg.contains(&epoch.to_string()), "{msg}");

    // Knowing the limit is spent, the next call does not even ask.
    let before = fake.requests().len();
    assert!(matches!(gh.get_user().await, Err(GithubError::RateLimited { .. })));
    assert_eq!(fake.requests().len(), before);
    assert!(!fake.repo_exists("alice", "x"));
}

#[tokio::test]
async fn secondary_limit_with_retry_after_and_429() {
    let (fake, _root) = fake().await;
    let cfg = GithubConfig { max_rate_limit_wait: Duration::from_millis(100), ..fake.config() };
    let gh = GithubClient::new(&cfg, Token::new(ALICE_TOKEN).unwrap()).unwrap();
    fake.exhaust_rate_limit_with(Duration::from_secs(600), 429, Some(30));
    let err = gh.get_user().await.unwrap_err();
    let GithubError::RateLimited { reset_at } = err else { panic!("{err:?}") };
    let reset_in = reset_at.duration_since(SystemTime::now()).unwrap();
    assert!(reset_in <= Duration::from_secs(30) && reset_in > Duration::from_secs(25), "retry-after wins: {reset_in:?}");
}

#[tokio::test]
async fn unreachable_api_names_the_host() {
    // A port that was free a moment ago: connection refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let cfg = GithubConfig { api_url: format!("http://127.0.0.1:{port}"), ..GithubConfig::default() };
    let gh = GithubClient::new(&cfg, Token::new("ghp_CANARY_offline").unwrap()).unwrap();
    let err = gh.get_user().await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("cannot reach 127.0.0.1:{port}: ")), "{msg}");
    assert!(msg.to_lowercase().contains("refused"), "{msg}");
    assert_no_canary(&format!("{msg} {err:?}"));

    let err = GithubClient::new(&GithubConfig { api_url: "not a url".into(), ..GithubConfig::default() }, Token::new("t").unwrap()).unwrap_err();
    assert!(err.to_string().contains("not a URL"), "{err}");
}

#[tokio::test]
async fn default_host_appears_in_unreachable_errors() {
    let cfg = GithubConfig::default();
    let gh = GithubClient::new(&cfg, Token::new("t").unwrap()).unwrap();
    assert!(format!("{gh:?}").contains("api.github.com"));
}

#[tokio::test]
async fn an_error_answer_quoting_the_token_does_not_carry_it_into_the_message() {
    let (fake, _root) = fake().await;
    let gh = client(&fake, ALICE_TOKEN);
    fake.fail_creates(Some(CreateFailure::Unprocessable { detail: format!("echo of Authorization: Bearer {ALICE_TOKEN}") }));
    let err = gh.create_user_repo("echoed", true).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("Bearer [redacted]"), "{text}");
    assert_no_canary(&text);
}
