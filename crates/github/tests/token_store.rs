//! The token file and the order tokens are looked for. Every test passes its own
//! directory and environment: nothing here reads or sets process variables.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;

use llmos_github::{GithubConfig, Token, TokenError, TokenOrigin, TokenSource, TokenStore};

const CANARY: &str = "gho_CANARY_device_token_42";

#[test]
fn save_writes_a_0600_file_with_only_the_token() {
    let home = tempfile::tempdir().unwrap();
    let store = TokenStore::in_dir(home.path().join("config/llmos"));
    let path = store.save(&Token::new(CANARY).unwrap()).unwrap();
    assert_eq!(path, home.path().join("config/llmos/github-token"));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dir_mode = std::fs::metadata(store.dir()).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), CANARY);
    assert_eq!(store.load().unwrap().unwrap().expose(), CANARY);
    let leftovers: Vec<_> = std::fs::read_dir(store.dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, ["github-token"], "no temporary file left");

    // Overwriting keeps the mode.
    store.save(&Token::new("gho_second").unwrap()).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(store.load().unwrap().unwrap().expose(), "gho_second");

    assert!(store.delete().unwrap());
    assert!(!store.delete().unwrap());
    assert!(store.load().unwrap().is_none());
}

#[test]
fn a_token_file_others_can_read_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::in_dir(dir.path());
    std::fs::write(store.path(), CANARY).unwrap();
    std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = store.load().unwrap_err();
    assert!(matches!(err, TokenError::TooOpen { mode: 0o644, .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("chmod 600"), "{msg}");
    assert!(!msg.contains("CANARY") && !format!("{err:?}").contains("CANARY"));
}

#[test]
fn an_empty_token_file_is_invalid_not_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::in_dir(dir.path());
    store.save(&Token::new("x").unwrap()).unwrap();
    std::fs::write(store.path(), "\n").unwrap();
    let err = store.load().unwrap_err();
    assert!(err.to_string().contains("is invalid: the token is empty"), "{err}");
}

#[test]
fn save_into_an_unwritable_place_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let err = TokenStore::in_dir(blocker.join("llmos")).save(&Token::new(CANARY).unwrap()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("not-a-dir"), "{msg}");
    assert!(!msg.contains("CANARY"));
}

#[test]
fn environment_comes_before_the_stored_token() {
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::in_dir(dir.path());
    store.save(&Token::new("gho_stored").unwrap()).unwrap();
    let source = TokenSource::new(&GithubConfig::default(), Some(store.clone()));
    assert_eq!(source.env_vars(), ["GITHUB_TOKEN", "GH_TOKEN"]);

    let env = |pairs: &[(&str, &str)]| {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k: &str| map.get(k).cloned()
    };

    let found = source.resolve_with(env(&[("GH_TOKEN", "gh_second"), ("GITHUB_TOKEN", "gh_first")])).unwrap().unwrap();
    assert_eq!(found.token.expose(), "gh_first");
    assert_eq!(found.origin, TokenOrigin::Env { var: "GITHUB_TOKEN".into() });

    let found = source.resolve_with(env(&[("GITHUB_TOKEN", "  "), ("GH_TOKEN", "gh_second")])).unwrap().unwrap();
    assert_eq!(found.origin, TokenOrigin::Env { var: "GH_TOKEN".into() });

    let found = source.resolve_with(env(&[])).unwrap().unwrap();
    assert_eq!(found.token.expose(), "gho_stored");
    assert_eq!(found.origin, TokenOrigin::Stored { path: store.path() });
    assert_eq!(found.origin.to_string(), store.path().display().to_string());

    let custom = TokenSource::new(&GithubConfig { token_env: Some("LLMOS_GH".into()), ..GithubConfig::default() }, None);
    assert!(custom.resolve_with(env(&[("GITHUB_TOKEN", "ignored")])).unwrap().is_none());
    assert_eq!(custom.resolve_with(env(&[("LLMOS_GH", "mine")])).unwrap().unwrap().token.expose(), "mine");

    let err = source.resolve_with(env(&[("GITHUB_TOKEN", "two words")])).unwrap_err();
    assert!(matches!(err, TokenError::Malformed));
}

#[test]
fn token_never_shows_in_debug_or_display() {
    let token = Token::new(CANARY).unwrap();
    let shown = format!("{token:?} {token} {:?}", Some(&token));
    assert!(!shown.contains("CANARY"), "{shown}");
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::in_dir(dir.path());
    store.save(&token).unwrap();
    let source = TokenSource::new(&GithubConfig::default(), Some(store));
    let resolved = source.resolve_with(|_| None).unwrap().unwrap();
    assert!(!format!("{resolved:?} {source:?}").contains("CANARY"));
}
