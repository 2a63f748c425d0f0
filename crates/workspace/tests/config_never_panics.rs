//! Property test: any `llmos.toml` text gives a config and diagnostics, never a panic,
//! with every diagnostic inside the text. `PROPTEST_CASES=N` for the long fuzz mode.

use std::path::Path;

use llmos_workspace::Config;
use proptest::prelude::*;

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[llm]\n".to_string()),
        Just("[rules]\n".to_string()),
        Just("[volumes.system]\n".to_string()),
        Just("[evolution]\n".to_string()),
        Just("provider = ".to_string()),
        Just("max_file_size = ".to_string()),
        Just("\"skill/description-when\" = ".to_string()),
        Just("writable = ".to_string()),
        Just("interval = ".to_string()),
        Just("\"off\"\n".to_string()),
        Just("-1\n".to_string()),
        Just("1e400\n".to_string()),
        Just("\"1d\"\n".to_string()),
        Just("\"é😀\"\n".to_string()),
        Just("[[x]]\n".to_string()),
        Just("{ a = 1 }\n".to_string()),
        "[a-z_.=\\[\\]\" \n0-9]{0,20}",
        any::<String>(),
    ]
}

proptest! {
    #[test]
    fn any_llmos_toml_parses_without_panicking(parts in prop::collection::vec(piece(), 0..16)) {
        let text = parts.concat();
        let (_config, diags) = Config::parse(&text, Path::new("/w"));
        for d in diags {
            prop_assert!(d.range.end <= text.len() && text.is_char_boundary(d.range.start) && text.is_char_boundary(d.range.end), "{:?}", d.range);
        }
    }
}
