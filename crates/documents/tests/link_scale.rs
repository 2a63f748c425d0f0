//! The link scan stays linear in a line's length. A test binary of its own: the ratio of
//! two timings is only meaningful when no other test of this crate (the property tests
//! fill both cores) runs beside it, and cargo runs test binaries one after another.

use llmos_documents::links::extract;

/// Work grows linearly: 16× the input may not take much more than 16× the time (a
/// quadratic scan took 14× for 4×). The smallest of three runs damps noise.
#[test]
fn a_long_line_of_links_scales_linearly() {
    let time = |n: usize| {
        let text = "[a](b)".repeat(n);
        (0..3)
            .map(|_| {
                let t = std::time::Instant::now();
                assert_eq!(extract(&text, 0..text.len()).len(), n);
                t.elapsed()
            })
            .min()
            .unwrap_or_default()
    };
    let small = time(4_000);
    let large = time(64_000);
    assert!(large < small * 48, "4k links: {small:?}, 64k links: {large:?}");
}
