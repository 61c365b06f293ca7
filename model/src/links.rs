//! Personal links: a registration's link token is `HMAC-SHA256(link key[key_version], link_id)`, so whoever
//! holds the key (the function, the mailer, `opp-admin`) can form a registration's link again, and whoever
//! holds only the table or an export cannot. The table keeps the `link_id`, the `key_version` and the
//! token's SHA-256 (the token item's key), never the token.
//!
//! The key ring is one flat JSON object, the value of the Secrets Manager secret (locally a file in the
//! state folder): `{"current": 2, "1": "<key>", "2": "<key>"}`, each key a string of at least 32 characters
//! (its bytes are the HMAC key). Flat, so Secrets Manager can generate it (`GenerateStringKey`). New links
//! use `current`; older versions stay readable while the ring holds them, until `opp-admin rekey-links` moved the
//! live registrations to the current one (docs/operations/secrets.md, "Rotating the link key").

use std::collections::BTreeMap;

use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The length of a link token (base64url of 32 bytes, no padding).
pub const TOKEN_LENGTH: usize = 43;

/// A key ring: every version still accepted, and the one new links use.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkKeys {
    current: u32,
    keys: BTreeMap<u32, String>,
}

impl std::fmt::Debug for LinkKeys {
    /// The versions only, never a key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkKeys")
            .field("current", &self.current)
            .field("versions", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A link as issued: the token goes into the link, the rest into the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedLink {
    pub link_id: String,
    pub key_version: u32,
    pub token: String,
}

/// The shortest key accepted (characters).
pub const MIN_KEY_LENGTH: usize = 32;

impl LinkKeys {
    /// A ring of one key (version 1), from 32 random bytes (the key is their hex).
    pub fn first(secret: [u8; 32]) -> LinkKeys {
        LinkKeys {
            current: 1,
            keys: BTreeMap::from([(1, to_hex(&secret))]),
        }
    }

    /// The ring with a new current key (the next version), from 32 random bytes; the older versions stay
    /// readable.
    pub fn rotated(&self, secret: [u8; 32]) -> LinkKeys {
        let next = self.keys.keys().max().copied().unwrap_or(0) + 1;
        let mut keys = self.keys.clone();
        keys.insert(next, to_hex(&secret));
        LinkKeys {
            current: next,
            keys,
        }
    }

    /// The ring without the versions older than the current one (after every live link was re-keyed).
    pub fn without_old(&self) -> LinkKeys {
        LinkKeys {
            current: self.current,
            keys: self
                .keys
                .iter()
                .filter(|(version, _)| **version >= self.current)
                .map(|(version, key)| (*version, key.clone()))
                .collect(),
        }
    }

    /// Reads the JSON object; the error says what is wrong and never repeats a key.
    pub fn parse(text: &str) -> Result<LinkKeys, String> {
        const SHAPE: &str = r#"{"current": 1, "1": "<at least 32 characters>"}"#;
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
            .map_err(|err| {
                format!(
                    "the link key ring is not a JSON object of the form {SHAPE} (line {}, column {})",
                    err.line(),
                    err.column()
                )
            })?;
        let mut current = None;
        let mut keys = BTreeMap::new();
        for (name, value) in &object {
            if name == "current" {
                current = value
                    .as_u64()
                    .or_else(|| value.as_str().and_then(|v| v.parse().ok()))
                    .and_then(|v| u32::try_from(v).ok());
                if current.is_none() {
                    return Err("\"current\" is not a whole number".into());
                }
                continue;
            }
            let version: u32 = name.parse().map_err(|_| {
                format!("{name:?} is neither \"current\" nor a key version (a whole number)")
            })?;
            let key = value
                .as_str()
                .filter(|key| key.chars().count() >= MIN_KEY_LENGTH)
                .ok_or_else(|| {
                    format!("key version {version} is not a string of at least {MIN_KEY_LENGTH} characters")
                })?;
            keys.insert(version, key.to_string());
        }
        let current = current.ok_or_else(|| format!("\"current\" is missing: {SHAPE}"))?;
        if !keys.contains_key(&current) {
            return Err(format!(
                "the current key version {current} is not in the ring"
            ));
        }
        Ok(LinkKeys { current, keys })
    }

    /// The JSON object (for the state folder's file and the secret).
    pub fn to_json(&self) -> String {
        let mut object = serde_json::Map::new();
        object.insert("current".into(), self.current.into());
        for (version, key) in &self.keys {
            object.insert(version.to_string(), key.clone().into());
        }
        serde_json::Value::Object(object).to_string()
    }

    pub fn current(&self) -> u32 {
        self.current
    }

    pub fn versions(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys.keys().copied()
    }

    /// The token of `link_id` under key `version`; None when the ring no longer holds that version.
    pub fn token(&self, version: u32, link_id: &str) -> Option<String> {
        let key = self.keys.get(&version)?;
        Some(hmac_token(key.as_bytes(), link_id))
    }

    /// The key of an address's link requests: an HMAC under the current key, so no table key names an
    /// address (`email` is the address as stored).
    pub fn address_hash(&self, email: &str) -> String {
        let key = self
            .keys
            .get(&self.current)
            .expect("the current version is in the ring");
        hmac_token(key.as_bytes(), &format!("address:{email}"))
    }

    /// The token that confirms address move `move_id` (a random id kept on the registration), under key
    /// `version`: the function issues it, the mailer forms it again for the mail to the new address.
    /// Never the same as a personal link's token (`move:` before the id).
    pub fn move_token(&self, version: u32, move_id: &str) -> Option<String> {
        self.token(version, &format!("move:{move_id}"))
    }

    /// A new link under the current key, from 16 random bytes.
    pub fn issue(&self, random: [u8; 16]) -> DerivedLink {
        let link_id = to_hex(&random);
        let token = self
            .token(self.current, &link_id)
            .expect("the current version is in the ring");
        DerivedLink {
            link_id,
            key_version: self.current,
            token,
        }
    }
}

fn hmac_token(key: &[u8], link_id: &str) -> String {
    let mut mac =
        hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(link_id.as_bytes());
    base64url(&mac.finalize().into_bytes())
}

/// What the table stores and looks up for a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    to_hex(&Sha256::digest(token.as_bytes()))
}

/// A token as it can appear in a link; anything else is not looked up at all.
pub fn looks_like_token(token: &str) -> bool {
    token.len() == TOKEN_LENGTH
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// base64url without padding (RFC 4648, section 5).
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 2);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_follow_rfc_4231_hmac_sha256() {
        // RFC 4231, test case 2.
        let token = hmac_token(b"Jefe", "what do ya want for nothing?");
        // 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843, base64url.
        assert_eq!(token, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM");
        assert!(looks_like_token(&token));
    }

    #[test]
    fn a_ring_round_trips_and_never_prints_a_key() {
        let ring = LinkKeys::first([7; 32]).rotated([9; 32]);
        assert_eq!(ring.current(), 2);
        let again = LinkKeys::parse(&ring.to_json()).unwrap();
        assert_eq!(again, ring);
        assert!(!format!("{ring:?}").contains("0707"));
        // What Secrets Manager generates: a flat object, the key a long string.
        let generated =
            LinkKeys::parse(&format!(r#"{{"current":1,"1":"{}"}}"#, "aB3".repeat(21))).unwrap();
        assert_eq!(generated.current(), 1);
        assert!(generated.token(1, "x").is_some());
        assert_eq!(ring.without_old().versions().collect::<Vec<_>>(), vec![2]);
    }

    #[test]
    fn links_differ_per_version_and_id() {
        let ring = LinkKeys::first([1; 32]).rotated([2; 32]);
        let link = ring.issue([3; 16]);
        assert_eq!(link.key_version, 2);
        assert_eq!(link.link_id.len(), 32);
        assert_eq!(ring.token(2, &link.link_id).unwrap(), link.token);
        assert_ne!(ring.token(1, &link.link_id).unwrap(), link.token);
        assert_ne!(ring.issue([4; 16]).token, link.token);
        assert_eq!(ring.without_old().token(1, &link.link_id), None);
    }

    #[test]
    fn bad_rings_say_what_is_wrong() {
        let err = LinkKeys::parse(r#"{"current": 1, "1": "short"}"#).unwrap_err();
        assert!(err.contains("at least 32 characters"), "{err}");
        let key = "ab".repeat(32);
        let err = LinkKeys::parse(&format!(r#"{{"current": 2, "1": "{key}"}}"#)).unwrap_err();
        assert!(err.contains("current key version 2"), "{err}");
        assert!(!err.contains(&key));
        assert!(LinkKeys::parse("nope").unwrap_err().contains("line 1"));
        assert!(LinkKeys::parse(r#"{"1": "x"}"#).is_err());
    }

    #[test]
    fn base64url_matches_the_rfc_vectors() {
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
