//! How many SMS segments a text costs, counted the way carriers and Twilio count them.
//!
//! A text goes out in the GSM 03.38 7-bit alphabet when every character is in it, and as UCS-2
//! (UTF-16) otherwise; one stray Korean syllable or emoji switches the whole message. A single
//! segment holds 160 septets or 70 UTF-16 units; a longer text is split into parts that each lose
//! room to the concatenation header, 153 septets or 67 units. An escaped GSM character (two septets)
//! and a surrogate pair (two units) are never split across parts, so a part may end one unit short.
//! Every segment is billed as a message, which is why replies are trimmed with [`fit`].

use schemars::JsonSchema;
use serde::Serialize;

/// The GSM 03.38 basic character set, in table order, without the escape code at 0x1B.
const GSM_BASIC: &str = concat!(
    "@£$¥èéùìòÇ\nØø\rÅå",
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ",
    " !\"#¤%&'()*+,-./",
    "0123456789:;<=>?",
    "¡ABCDEFGHIJKLMNO",
    "PQRSTUVWXYZÄÖÑÜ§",
    "¿abcdefghijklmno",
    "pqrstuvwxyzäöñüà",
);

/// The GSM 03.38 extension table: each is sent as the escape code plus one more septet.
const GSM_EXTENSION: &str = "\u{0C}^{}\\[~]|€";

/// Room in a lone segment and in each part of a concatenated message, per encoding.
const GSM7_SINGLE: usize = 160;
const GSM7_PART: usize = 153;
const UCS2_SINGLE: usize = 70;
const UCS2_PART: usize = 67;

/// How many code points, counted back from a cut, we look for a space to cut at instead.
const WORD_WINDOW: usize = 16;

/// The character encoding a message is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// The GSM 03.38 7-bit default alphabet with its extension table.
    Gsm7,
    /// UTF-16, needed as soon as one character is outside the GSM alphabet.
    Ucs2,
}

/// What a text costs to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentCount {
    /// The encoding the whole text goes out in.
    pub encoding: Encoding,
    /// Billed messages; an empty text still costs one.
    pub segments: usize,
    /// Septets under GSM-7 (an extension character is two) or UTF-16 code units under UCS-2.
    pub units: usize,
}

/// Counts the segments and units of `text`.
pub fn count(text: &str) -> SegmentCount {
    let encoding = encoding_of(text);
    let mut packer = Packer::new(encoding);
    for c in text.chars() {
        packer.push(width(encoding, c));
    }
    SegmentCount { encoding, segments: packer.segments(), units: packer.units }
}

/// Shortens `text` so that it costs at most `max_segments` segments (at least one).
///
/// A text that already fits comes back unchanged. Otherwise it is cut at a character boundary,
/// at a space when one is close to the cut, and ends in an ellipsis that keeps the encoding: `...`
/// under GSM-7, `…` under UCS-2. Cutting can drop the only non-GSM characters; the shorter text
/// then goes out as GSM-7 and keeps more of the original.
pub fn fit(text: &str, max_segments: usize) -> String {
    let max = max_segments.max(1);
    if count(text).segments <= max {
        return text.to_owned();
    }
    let cut = longest_cut(text, max);
    let soft = glue_safe(text, cut);
    let word = word_cut(&text[..soft]);
    [word.map(|at| finish(text[..at].trim_end())), Some(finish(text[..soft].trim_end()))]
        .into_iter()
        .flatten()
        .find(|candidate| count(candidate).segments <= max)
        // The cut itself was measured with its ellipsis, so it always fits.
        .unwrap_or_else(|| finish(&text[..cut]))
}

/// The GSM-7 septets `c` takes, or `None` when it is not in the GSM alphabet.
fn septets(c: char) -> Option<usize> {
    if GSM_EXTENSION.contains(c) {
        Some(2)
    } else if GSM_BASIC.contains(c) {
        Some(1)
    } else {
        None
    }
}

fn encoding_of(text: &str) -> Encoding {
    if text.chars().all(|c| septets(c).is_some()) { Encoding::Gsm7 } else { Encoding::Ucs2 }
}

fn width(encoding: Encoding, c: char) -> usize {
    match encoding {
        Encoding::Gsm7 => septets(c).unwrap_or(1),
        Encoding::Ucs2 => c.len_utf16(),
    }
}

fn ellipsis(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Gsm7 => "...",
        Encoding::Ucs2 => "…",
    }
}

/// `prefix` with the ellipsis of its own encoding.
fn finish(prefix: &str) -> String {
    format!("{prefix}{}", ellipsis(encoding_of(prefix)))
}

/// Greedy packing of characters into segments, as a handset splits a long message.
#[derive(Debug, Clone, Copy)]
struct Packer {
    single: usize,
    part: usize,
    units: usize,
    /// Parts used when the text does not fit a lone segment.
    parts: usize,
    /// Units in the last part.
    fill: usize,
}

impl Packer {
    fn new(encoding: Encoding) -> Self {
        let (single, part) = match encoding {
            Encoding::Gsm7 => (GSM7_SINGLE, GSM7_PART),
            Encoding::Ucs2 => (UCS2_SINGLE, UCS2_PART),
        };
        Self { single, part, units: 0, parts: 1, fill: 0 }
    }

    fn push(&mut self, width: usize) {
        self.units += width;
        if self.fill + width > self.part {
            self.parts += 1;
            self.fill = 0;
        }
        self.fill += width;
    }

    fn segments(&self) -> usize {
        if self.units <= self.single { 1 } else { self.parts }
    }

    /// Segments once `text` is appended, leaving this packer as it is.
    fn segments_with(mut self, encoding: Encoding, text: &str) -> usize {
        for c in text.chars() {
            self.push(width(encoding, c));
        }
        self.segments()
    }
}

/// The longest byte offset such that `text[..offset]` plus its ellipsis fits in `max` segments.
fn longest_cut(text: &str, max: usize) -> usize {
    // One packer per encoding; the GSM one is dropped at the first character outside the alphabet.
    let mut gsm = Some(Packer::new(Encoding::Gsm7));
    let mut ucs = Packer::new(Encoding::Ucs2);
    let mut best = 0;
    for (at, c) in text.char_indices() {
        let fits = match gsm {
            Some(packer) => packer.segments_with(Encoding::Gsm7, ellipsis(Encoding::Gsm7)) <= max,
            None => ucs.segments_with(Encoding::Ucs2, ellipsis(Encoding::Ucs2)) <= max,
        };
        if fits {
            best = at;
        } else if gsm.is_none() {
            // Under UCS-2 a longer prefix only costs more.
            break;
        }
        gsm = gsm.and_then(|mut packer| {
            packer.push(septets(c)?);
            Some(packer)
        });
        ucs.push(c.len_utf16());
    }
    best
}

/// Moves a cut back so it does not split an emoji from its joiner, variation selector, skin tone or
/// keycap mark; the text stays valid either way, but a half emoji renders as two odd symbols.
fn glue_safe(text: &str, mut cut: usize) -> usize {
    let binds = |c: char| matches!(c, '\u{200D}' | '\u{FE0E}' | '\u{FE0F}' | '\u{20E3}' | '\u{1F3FB}'..='\u{1F3FF}');
    while cut > 0 {
        let next_binds = text[cut..].chars().next().is_some_and(binds);
        let after_joiner = text[..cut].ends_with('\u{200D}');
        if !next_binds && !after_joiner {
            break;
        }
        cut = text[..cut].char_indices().next_back().map_or(0, |(at, _)| at);
    }
    cut
}

/// A cut at the last whitespace within [`WORD_WINDOW`] characters of the end of `prefix`.
fn word_cut(prefix: &str) -> Option<usize> {
    prefix
        .char_indices()
        .rev()
        .take(WORD_WINDOW)
        .find(|(_, c)| c.is_whitespace())
        .map(|(at, _)| at)
        .filter(|&at| !prefix[..at].trim_end().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repeat(s: &str, n: usize) -> String {
        s.repeat(n)
    }

    #[test]
    fn the_tables_hold_the_whole_gsm_alphabet() {
        let mut basic: Vec<char> = GSM_BASIC.chars().collect();
        basic.sort_unstable();
        basic.dedup();
        assert_eq!(basic.len(), 127, "128 codes less the escape");
        assert_eq!(GSM_EXTENSION.chars().count(), 10, "form feed and nine printable characters");
        assert!(GSM_EXTENSION.chars().all(|c| !GSM_BASIC.contains(c)));
    }

    #[test]
    fn empty_text_still_costs_one_segment() {
        assert_eq!(count(""), SegmentCount { encoding: Encoding::Gsm7, segments: 1, units: 0 });
    }

    #[test]
    fn plain_ascii_at_the_boundaries() {
        for (len, segments) in [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)] {
            let got = count(&repeat("a", len));
            assert_eq!(got, SegmentCount { encoding: Encoding::Gsm7, segments, units: len }, "{len} chars");
        }
    }

    #[test]
    fn extension_characters_take_two_septets() {
        let got = count(&repeat("€", 80));
        assert_eq!(got, SegmentCount { encoding: Encoding::Gsm7, segments: 1, units: 160 });
        let got = count(&repeat("€", 81));
        assert_eq!(got, SegmentCount { encoding: Encoding::Gsm7, segments: 2, units: 162 });
        assert_eq!(count("{[|]}~^\\").units, 16);
        assert_eq!(count("\u{0C}").units, 2);
    }

    #[test]
    fn an_escaped_character_is_never_split_across_parts() {
        // 151 + 2 fills the first part exactly; 152 + 2 does not, so the euro opens the second part.
        let fits = format!("{}€{}", repeat("a", 151), repeat("a", 153));
        assert_eq!(count(&fits), SegmentCount { encoding: Encoding::Gsm7, segments: 2, units: 306 });
        let straddles = format!("{}€{}", repeat("a", 152), repeat("a", 152));
        assert_eq!(count(&straddles), SegmentCount { encoding: Encoding::Gsm7, segments: 3, units: 306 });
    }

    #[test]
    fn characters_outside_the_alphabet_switch_to_ucs2() {
        for text in ["`", "\t", "ç", "“quoted”", "가", "😀"] {
            assert_eq!(count(text).encoding, Encoding::Ucs2, "{text:?}");
        }
        for text in ["Ç", "@£$¥", "Δ_ΦΓ", "¡¿§", "line\r\nbreak"] {
            assert_eq!(count(text).encoding, Encoding::Gsm7, "{text:?}");
        }
    }

    #[test]
    fn korean_at_the_boundaries() {
        for (len, segments) in [(70, 1), (71, 2), (134, 2), (135, 3)] {
            let got = count(&repeat("가", len));
            assert_eq!(got, SegmentCount { encoding: Encoding::Ucs2, segments, units: len }, "{len} chars");
        }
    }

    #[test]
    fn a_surrogate_pair_is_never_split_across_parts() {
        // 68 units still fit a lone segment.
        let lone = format!("{}😀", repeat("가", 66));
        assert_eq!(count(&lone), SegmentCount { encoding: Encoding::Ucs2, segments: 1, units: 68 });
        // 134 units would fill two parts exactly, but the emoji would straddle units 67 and 68.
        let straddles = format!("{}😀{}", repeat("가", 66), repeat("가", 66));
        assert_eq!(count(&straddles), SegmentCount { encoding: Encoding::Ucs2, segments: 3, units: 134 });
        let fits = format!("{}😀{}", repeat("가", 65), repeat("가", 67));
        assert_eq!(count(&fits), SegmentCount { encoding: Encoding::Ucs2, segments: 2, units: 134 });
    }

    #[test]
    fn korean_mixed_with_ascii_counts_every_character_as_ucs2() {
        let text = "주문번호 A-1234 배송이 시작되었습니다. Track: https://ex.co/t/9";
        let got = count(text);
        assert_eq!(got.encoding, Encoding::Ucs2);
        assert_eq!(got.units, text.chars().count());
        assert_eq!(got.segments, 1);
        let long = repeat(text, 3);
        assert_eq!(count(&long).segments, long.chars().count().div_ceil(67));
    }

    #[test]
    fn fit_leaves_a_fitting_text_alone() {
        assert_eq!(fit("hello", 1), "hello");
        let exact = repeat("가", 134);
        assert_eq!(fit(&exact, 2), exact);
        assert_eq!(fit("", 1), "");
    }

    #[test]
    fn fit_cuts_gsm_text_at_a_word_and_keeps_gsm() {
        let text = repeat("lorem ipsum ", 20);
        let out = fit(&text, 1);
        let got = count(&out);
        assert_eq!(got.encoding, Encoding::Gsm7);
        assert_eq!(got.segments, 1);
        assert!(out.ends_with("ipsum...") || out.ends_with("lorem..."), "{out:?}");
        assert!(text.starts_with(out.trim_end_matches('.')));
    }

    #[test]
    fn fit_uses_a_single_character_ellipsis_under_ucs2() {
        let text = repeat("가나다라마바사 ", 40);
        let out = fit(&text, 2);
        let got = count(&out);
        assert_eq!(got.encoding, Encoding::Ucs2);
        assert!(got.segments <= 2);
        assert!(out.ends_with("사…"), "{out:?}");
    }

    #[test]
    fn fit_without_spaces_cuts_hard_and_uses_the_room() {
        let out = fit(&repeat("가", 200), 1);
        assert_eq!(out, format!("{}…", repeat("가", 69)));
        let out = fit(&repeat("a", 400), 2);
        assert_eq!(out, format!("{}...", repeat("a", 303)));
    }

    #[test]
    fn fit_drops_to_gsm_when_the_cut_removes_the_only_wide_character() {
        let out = fit(&format!("{}가", repeat("a", 200)), 1);
        assert_eq!(out, format!("{}...", repeat("a", 157)));
        assert_eq!(count(&out).encoding, Encoding::Gsm7);
    }

    #[test]
    fn fit_never_splits_an_emoji() {
        let family = "👨\u{200D}👩\u{200D}👧";
        let out = fit(&repeat(family, 40), 1);
        assert!(count(&out).segments <= 1);
        let kept = out.trim_end_matches('…');
        assert_eq!(kept, repeat(family, 8), "whole families only");
        let out = fit(&repeat("😀", 100), 1);
        assert_eq!(out, format!("{}…", repeat("😀", 34)));
    }

    #[test]
    fn fit_never_exceeds_the_cap() {
        let samples = [
            repeat("The quick brown fox {jumps} over the lazy dog. ", 12),
            repeat("€", 500),
            repeat("안녕하세요 고객님, 주문하신 상품이 출고되었습니다. ", 20),
            format!("{}😀{}", repeat("가", 66), repeat("x 나 ", 200)),
            repeat("a€", 300),
            repeat("👍🏽 ok ", 120),
        ];
        for text in &samples {
            for max in 1..=6 {
                let out = fit(text, max);
                let got = count(&out);
                assert!(got.segments <= max, "{max} segments: {} for {out:?}", got.segments);
                let kept = out.strip_suffix("...").or_else(|| out.strip_suffix('…')).unwrap_or(&out);
                assert!(text.starts_with(kept), "not a prefix: {out:?}");
            }
        }
        assert_eq!(count(&fit(&samples[0], 0)).segments, 1, "zero is read as one");
    }
}
