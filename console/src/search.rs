//! A meeting's list as the organiser asks for it: search by name, address or organisation (case and
//! accents ignored), a filter by status, a sort order, and pages of [`PAGE_SIZE`] rows. Plain functions
//! over the registrations; the screen only renders what they return.

use icu_normalizer::DecomposingNormalizerBorrowed;

use opp_model::RegistrationStatus;
use opp_store::RegistrationRecord;

pub const PAGE_SIZE: usize = 100;

/// Text as search compares it: decomposed, without combining marks, in lower case ("Çelik" and "celik",
/// "Ö. Yılmaz" and "o. yilmaz" match).
pub fn folded(text: &str) -> String {
    DecomposingNormalizerBorrowed::new_nfd()
        .normalize(text)
        .chars()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ı' { 'i' } else { c })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// Order of arrival (the default: the waiting list's order too).
    #[default]
    Registered,
    Name,
    Organisation,
    Status,
}

impl SortBy {
    pub fn parse(text: &str) -> SortBy {
        match text {
            "naam" => SortBy::Name,
            "organisatie" => SortBy::Organisation,
            "status" => SortBy::Status,
            _ => SortBy::Registered,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SortBy::Registered => "aangemeld",
            SortBy::Name => "naam",
            SortBy::Organisation => "organisatie",
            SortBy::Status => "status",
        }
    }
}

/// What the organiser asked for.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub search: String,
    pub status: Option<RegistrationStatus>,
    pub sort: SortBy,
    /// 1-based.
    pub page: usize,
}

/// One page of the list, and how many rows matched in all.
pub struct ListPage<'a> {
    pub rows: Vec<&'a RegistrationRecord>,
    pub matched: usize,
    pub page: usize,
    pub pages: usize,
}

pub fn select<'a>(registrations: &'a [RegistrationRecord], query: &ListQuery) -> ListPage<'a> {
    let words: Vec<String> = folded(query.search.trim())
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let mut rows: Vec<&RegistrationRecord> = registrations
        .iter()
        .filter(|r| query.status.is_none_or(|status| r.status == status))
        .filter(|r| {
            if words.is_empty() {
                return true;
            }
            let haystack = folded(&format!(
                "{} {} {}",
                r.name,
                r.email,
                r.organisation.as_deref().unwrap_or_default()
            ));
            words.iter().all(|word| haystack.contains(word.as_str()))
        })
        .collect();
    match query.sort {
        SortBy::Registered => rows.sort_by(|a, b| a.created_at.cmp(&b.created_at)),
        SortBy::Name => rows.sort_by_cached_key(|r| (folded(&r.name), r.created_at.clone())),
        SortBy::Organisation => rows.sort_by_cached_key(|r| {
            (
                r.organisation.is_none(),
                folded(r.organisation.as_deref().unwrap_or_default()),
                folded(&r.name),
            )
        }),
        SortBy::Status => {
            rows.sort_by_cached_key(|r| (status_rank(r.status), r.created_at.clone()))
        }
    }
    let matched = rows.len();
    let pages = matched.div_ceil(PAGE_SIZE).max(1);
    let page = query.page.clamp(1, pages);
    let rows = rows
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    ListPage {
        rows,
        matched,
        page,
        pages,
    }
}

fn status_rank(status: RegistrationStatus) -> u8 {
    match status {
        RegistrationStatus::Confirmed => 0,
        RegistrationStatus::Waitlisted => 1,
        RegistrationStatus::Cancelled => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(
        name: &str,
        email: &str,
        organisation: Option<&str>,
        minute: u32,
    ) -> RegistrationRecord {
        RegistrationRecord {
            registration_id: format!("id-{minute}"),
            meeting: "m".into(),
            email: email.into(),
            name: name.into(),
            role: "Ouder".into(),
            sector: None,
            organisation: organisation.map(str::to_string),
            needs: None,
            status: RegistrationStatus::Confirmed,
            created_at: format!("2030-01-15T11:{minute:02}:00.000000Z"),
            promoted_at: None,
            waitlist_ticket: None,
            link_id: None,
            key_version: None,
            email_status: None,
            token_hash: String::new(),
            previous_token_hashes: Vec::new(),
            mail_withheld: false,
            pending_move: None,
            check_in_code: None,
            checked_in: None,
        }
    }

    #[test]
    fn search_ignores_case_and_accents_in_name_address_and_organisation() {
        let people = vec![
            person("Ayşe Çelik", "ayse@example.nl", Some("OBS De Brug"), 1),
            person("Ö. Yılmaz", "o.yilmaz@example.nl", None, 2),
            person(
                "Jan de Vries",
                "jan@voorbeeld.nl",
                Some("Stichting Ëlan"),
                3,
            ),
        ];
        let find = |search: &str| {
            select(
                &people,
                &ListQuery {
                    search: search.into(),
                    ..ListQuery::default()
                },
            )
            .rows
            .iter()
            .map(|r| r.name.clone())
            .collect::<Vec<_>>()
        };
        assert_eq!(find("celik"), ["Ayşe Çelik"]);
        assert_eq!(find("YILMAZ"), ["Ö. Yılmaz"]);
        assert_eq!(find("o. yil"), ["Ö. Yılmaz"]);
        assert_eq!(find("elan"), ["Jan de Vries"]);
        assert_eq!(find("voorbeeld.nl"), ["Jan de Vries"]);
        assert_eq!(find("brug ayse"), ["Ayşe Çelik"]);
        assert!(find("nobody").is_empty());
        assert_eq!(find("").len(), 3);
    }

    #[test]
    fn filter_sort_and_pages_of_a_hundred() {
        let mut people: Vec<RegistrationRecord> = (0..250)
            .map(|i| {
                person(
                    &format!("Naam {:03}", 249 - i),
                    &format!("p{i}@example.nl"),
                    None,
                    i % 60,
                )
            })
            .collect();
        people[7].status = RegistrationStatus::Cancelled;
        let all = select(
            &people,
            &ListQuery {
                page: 3,
                ..ListQuery::default()
            },
        );
        assert_eq!(
            (all.matched, all.pages, all.page, all.rows.len()),
            (250, 3, 3, 50)
        );
        let past_the_end = select(
            &people,
            &ListQuery {
                page: 9,
                ..ListQuery::default()
            },
        );
        assert_eq!(past_the_end.page, 3);
        let cancelled = select(
            &people,
            &ListQuery {
                status: Some(RegistrationStatus::Cancelled),
                ..ListQuery::default()
            },
        );
        assert_eq!(cancelled.matched, 1);
        let by_name = select(
            &people,
            &ListQuery {
                sort: SortBy::Name,
                page: 1,
                ..ListQuery::default()
            },
        );
        assert_eq!(by_name.rows[0].name, "Naam 000");
        let by_status = select(
            &people,
            &ListQuery {
                sort: SortBy::Status,
                page: 3,
                ..ListQuery::default()
            },
        );
        assert_eq!(
            by_status.rows.last().unwrap().status,
            RegistrationStatus::Cancelled
        );
    }
}
