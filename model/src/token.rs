//! Link tokens in the handler: 256 bits in the link, only a SHA-256 hash in the table. New links are
//! derived from the link key (`crate::links`); [`new_token`] makes the random kind, which links issued
//! before link keys have.

pub use crate::links::{looks_like_token as looks_valid, token_hash as hash};

/// A random token (base64url, 43 characters).
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(crate::links::base64url(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert!(looks_valid(&a), "{a}");
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), a);
        assert!(!looks_valid("../../etc"));
    }
}
