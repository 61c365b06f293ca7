//! Check-in codes: the code a seat shows at the door (in a QR code, on the personal page and in the mails).
//! Random (65 bits) and separate from the personal link, so scanning it opens nothing. Written in an
//! alphabet of 32 signs without look-alikes (no `0/O`, `1/l/I`), which a QR code holds in its compact
//! alphanumeric mode. Its first 8 signs are the short form (40 bits) for reading aloud or typing; the back
//! office looks that up only within one meeting, and limits how often a door may type a wrong one.

/// Digits 2-9 and the capitals without `I` and `O`: 32 signs, 5 bits each.
pub const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Signs in a whole code: 13 x 5 = 65 random bits.
pub const CODE_LENGTH: usize = 13;
/// Signs in the short form: 8 x 5 = 40 bits.
pub const SHORT_LENGTH: usize = 8;

/// A new random code, or None when the system has no randomness (never seen on Lambda).
pub fn new_code() -> Option<String> {
    let mut bytes = [0u8; CODE_LENGTH];
    getrandom::fill(&mut bytes).ok()?;
    Some(
        bytes
            .iter()
            .map(|b| ALPHABET[(b & 31) as usize] as char)
            .collect(),
    )
}

/// The short form of a whole code, as people read it: `ABCD-EFGH`.
pub fn short_form(code: &str) -> String {
    let short: String = code.chars().take(SHORT_LENGTH).collect();
    match short.char_indices().nth(SHORT_LENGTH / 2) {
        Some((middle, _)) => format!("{}-{}", &short[..middle], &short[middle..]),
        None => short,
    }
}

/// What someone typed or a camera read, as a code or a short form: capitals, without spaces and dashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypedCode {
    Whole(String),
    Short(String),
}

/// Why a typed code cannot be a code (said to the door in Dutch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeProblem {
    Empty,
    /// A sign that codes never hold (`0`, `O`, `1`, `I`, anything else).
    NotInAlphabet(char),
    /// Neither 8 nor 13 signs.
    Length(usize),
}

impl CodeProblem {
    pub fn message_nl(&self) -> String {
        match self {
            CodeProblem::Empty => "Typ de code, of zoek op naam.".into(),
            CodeProblem::NotInAlphabet(c) => format!(
                "Een code heeft geen \u{201c}{c}\u{201d}. Codes hebben alleen de cijfers 2 tot en met 9 en hoofdletters zonder I en O. Kijk nog eens goed, of zoek op naam."
            ),
            CodeProblem::Length(n) => format!(
                "Een code heeft 8 tekens (zoals ABCD-EFGH). U typte er {n}. Kijk nog eens goed, of zoek op naam."
            ),
        }
    }
}

/// Reads what was typed or scanned: case, spaces and dashes do not matter.
pub fn parse(input: &str) -> Result<TypedCode, CodeProblem> {
    let mut signs = String::with_capacity(CODE_LENGTH);
    for c in input.chars() {
        if c.is_whitespace() || c == '-' {
            continue;
        }
        // Codes are shown in capitals; typed in lower case they mean the same (`l` can only be `L`: there
        // is no `1` and no `I`).
        let upper = c.to_ascii_uppercase();
        if !upper.is_ascii() || !ALPHABET.contains(&(upper as u8)) {
            return Err(CodeProblem::NotInAlphabet(c));
        }
        signs.push(upper);
    }
    match signs.len() {
        0 => Err(CodeProblem::Empty),
        CODE_LENGTH => Ok(TypedCode::Whole(signs)),
        SHORT_LENGTH => Ok(TypedCode::Short(signs)),
        n => Err(CodeProblem::Length(n)),
    }
}

/// Whether `code` (a whole code) has this short form (as [`parse`] gives it, without the dash).
pub fn has_short_form(code: &str, short: &str) -> bool {
    code.len() == CODE_LENGTH && code.starts_with(short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_codes_use_the_alphabet_and_differ() {
        let a = new_code().unwrap();
        let b = new_code().unwrap();
        assert_eq!(a.len(), CODE_LENGTH);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)));
        assert_ne!(a, b);
    }

    #[test]
    fn the_alphabet_has_no_look_alikes() {
        for c in [b'0', b'O', b'1', b'I'] {
            assert!(!ALPHABET.contains(&c), "{}", c as char);
        }
        let mut sorted = ALPHABET.to_vec();
        sorted.dedup();
        assert_eq!(sorted.len(), 32);
    }

    #[test]
    fn short_forms_are_read_aloud_in_two_halves() {
        assert_eq!(short_form("ABCDEFGHJKLMN"), "ABCD-EFGH");
        assert!(has_short_form("ABCDEFGHJKLMN", "ABCDEFGH"));
        assert!(!has_short_form("ABCDEFGHJKLMN", "ABCDEFGJ"));
    }

    #[test]
    fn typed_codes_forgive_case_spaces_and_dashes() {
        assert_eq!(
            parse(" abcd-efgh "),
            Ok(TypedCode::Short("ABCDEFGH".into()))
        );
        assert_eq!(
            parse("ABCDEFGHJKLMN"),
            Ok(TypedCode::Whole("ABCDEFGHJKLMN".into()))
        );
        assert_eq!(parse("ABCD-EFG0"), Err(CodeProblem::NotInAlphabet('0')));
        assert_eq!(parse("abcd-efgl"), Ok(TypedCode::Short("ABCDEFGL".into())));
        assert_eq!(parse("ABCD-EFGI"), Err(CodeProblem::NotInAlphabet('I')));
        assert_eq!(parse("ABCDEFG"), Err(CodeProblem::Length(7)));
        assert_eq!(parse(" - "), Err(CodeProblem::Empty));
        assert!(CodeProblem::Length(7).message_nl().contains("8 tekens"));
    }
}
