//! The message catalogue: the texts our tools print for people (organisers now, editors next), in Dutch by
//! default and in English with `OPP_LANG=en`. One place, so the wording is read and changed together and
//! no text misses its other language.
//!
//! A message is a pair of templates with `{name}` placeholders, filled with [`Msg::fill`]. The stored values
//! (statuses in the table, `--json` output) are not messages: they never change with the language.

use std::fmt;
use std::sync::OnceLock;

/// The language of the people reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Nl,
    En,
}

impl Lang {
    /// `OPP_LANG` as people set it: `en`, `en_GB.UTF-8`, `EN` give English; anything else, or nothing, Dutch.
    pub fn parse(value: Option<&str>) -> Lang {
        match value {
            Some(value) if value.trim().to_ascii_lowercase().starts_with("en") => Lang::En,
            _ => Lang::Nl,
        }
    }

    /// The language of this process, from `OPP_LANG` (read once).
    pub fn current() -> Lang {
        static CURRENT: OnceLock<Lang> = OnceLock::new();
        *CURRENT.get_or_init(|| Lang::parse(std::env::var("OPP_LANG").ok().as_deref()))
    }
}

/// One message in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Msg {
    pub nl: &'static str,
    pub en: &'static str,
}

impl Msg {
    /// The template in `lang`.
    pub const fn in_lang(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Nl => self.nl,
            Lang::En => self.en,
        }
    }

    /// The text in the process's language (placeholders left as they are).
    pub fn text(&self) -> &'static str {
        self.in_lang(Lang::current())
    }

    /// The text in the process's language with each `{name}` replaced by its value.
    pub fn fill(&self, args: &[(&str, &dyn fmt::Display)]) -> String {
        self.fill_in(Lang::current(), args)
    }

    /// The text in `lang` with each `{name}` replaced by its value; an unknown `{name}` stays as it is.
    pub fn fill_in(&self, lang: Lang, args: &[(&str, &dyn fmt::Display)]) -> String {
        let template = self.in_lang(lang);
        let mut text = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            text.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close) => {
                    let name = &after[..close];
                    match args.iter().find(|(key, _)| *key == name) {
                        Some((_, value)) => text.push_str(&value.to_string()),
                        None => text.push_str(&rest[open..open + close + 2]),
                    }
                    rest = &after[close + 1..];
                }
                None => {
                    text.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        text.push_str(rest);
        text
    }

    /// The placeholder names of a template, in order.
    pub fn placeholders(template: &str) -> Vec<&str> {
        let mut names = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else { break };
            names.push(&after[..close]);
            rest = &after[close + 1..];
        }
        names
    }
}

/// Declares the messages of one tool as constants, and `ALL` for the catalogue's own checks.
macro_rules! catalogue {
    ($( $(#[$doc:meta])* $name:ident { nl: $nl:literal, en: $en:literal $(,)? } )*) => {
        $( $(#[$doc])* pub const $name: Msg = Msg { nl: $nl, en: $en }; )*
        /// Every message of this part, by name.
        pub const ALL: &[(&str, Msg)] = &[ $( (stringify!($name), $name), )* ];
    };
}

/// A registration's status as people read it (the stored values are `RegistrationStatus::as_str`).
pub mod status {
    use super::Msg;
    catalogue! {
        CONFIRMED { nl: "bevestigd", en: "confirmed" }
        WAITLISTED { nl: "wachtlijst", en: "waitlisted" }
        CANCELLED { nl: "afgemeld", en: "cancelled" }
    }
}

/// `opp-admin`: headers, counts, reports, warnings and errors.
pub mod admin {
    use super::Msg;
    catalogue! {
        ERROR_PREFIX { nl: "fout", en: "error" }
        WARNING_PREFIX { nl: "let op", en: "warning" }

        // Table headers.
        COL_MEETING { nl: "bijeenkomst", en: "meeting" }
        COL_DATE { nl: "datum", en: "date" }
        COL_CITY { nl: "plaats", en: "city" }
        COL_CAPACITY { nl: "plekken", en: "capacity" }
        COL_CONFIRMED { nl: "bevestigd", en: "confirmed" }
        COL_WAITLISTED { nl: "wachtlijst", en: "waitlisted" }
        COL_CANCELLED { nl: "afgemeld", en: "cancelled" }
        COL_PLACES_LEFT { nl: "vrij", en: "places left" }
        COL_TOTAL { nl: "totaal", en: "total" }
        COL_REGISTERED { nl: "aangemeld", en: "registered" }
        COL_STATUS { nl: "status", en: "status" }
        COL_PROMOTED { nl: "van wachtlijst", en: "promoted" }
        COL_NAME { nl: "naam", en: "name" }
        COL_EMAIL { nl: "e-mail", en: "email" }
        COL_MAIL { nl: "post", en: "mail" }
        COL_ROLE { nl: "rol", en: "role" }
        COL_SECTOR { nl: "sector", en: "sector" }
        COL_ORGANISATION { nl: "organisatie", en: "organisation" }
        COL_NEEDS { nl: "nodig", en: "needs" }
        COL_FAILED { nl: "mislukt", en: "failed" }
        COL_KIND { nl: "soort", en: "kind" }
        COL_ERROR { nl: "fout", en: "error" }
        NO_SECTOR { nl: "(geen)", en: "(none)" }
        NOTHING { nl: "(geen)", en: "(none)" }

        // summary and list
        NO_MEETINGS {
            nl: "Er staan geen bijeenkomsten in tabel {table}. Voer eerst `opp-admin sync-meetings public/meetings.json` uit.",
            en: "No meetings in table {table}. Run `opp-admin sync-meetings public/meetings.json` first.",
        }
        PROMOTED_LINE {
            nl: "Van de wachtlijst naar een plek (`opp-admin list --meeting ID` laat zien wie): {counts}",
            en: "Moved up from the waiting list (`opp-admin list --meeting ID` shows who): {counts}",
        }
        EMAIL_PROBLEMS_LINE {
            nl: "E-mail kwam niet aan of is als spam gemeld (deze mensen krijgen geen e-mail; `opp-admin list --meeting ID` laat zien wie): {counts}",
            en: "Email bounced or marked as spam (these people get no email; `opp-admin list --meeting ID` shows who): {counts}",
        }
        BREAKDOWN_ROLE {
            nl: "Per rol (bevestigd en wachtlijst):",
            en: "By role (confirmed and waitlisted):",
        }
        BREAKDOWN_SECTOR {
            nl: "Per sector (bevestigd en wachtlijst):",
            en: "By sector (confirmed and waitlisted):",
        }
        MISMATCH {
            nl: "bijeenkomst {meeting}: de tellers zeggen {counters} (bevestigd/wachtlijst/afgemeld), maar de aanmeldingen zijn {counted}",
            en: "meeting {meeting}: counters say {counters} (confirmed/waitlisted/cancelled) but the items are {counted}",
        }
        LIST_ONE_MEETING {
            nl: "De aanmeldingen van één bijeenkomst: opp-admin list --meeting {example}",
            en: "To list one meeting's registrations: opp-admin list --meeting {example}",
        }
        REGISTRATION_COUNT { nl: "{count} aanmelding(en)", en: "{count} registration(s)" }
        STATUS_NEEDS_MEETING {
            nl: "--status werkt alleen met --meeting: `opp-admin list` laat de bijeenkomsten zien",
            en: "--status needs --meeting: run `opp-admin list` to see the meetings",
        }
        UNKNOWN_STATUS {
            nl: "`{value}` is geen status: kies bevestigd, wachtlijst of afgemeld (of confirmed, waitlisted, cancelled)",
            en: "`{value}` is not a status: choose confirmed, waitlisted or cancelled (or bevestigd, wachtlijst, afgemeld)",
        }
        JSON_FAILED {
            nl: "het overzicht kon niet als JSON worden geschreven: {err}",
            en: "summary could not be written as JSON: {err}",
        }
        READING_REGISTRATIONS { nl: "aanmeldingen lezen", en: "reading registrations" }

        // export and attendance
        EXPORT_STDOUT_CSV_ONLY {
            nl: "`--output -` schrijft alleen CSV (een XLSX-bestand is binair): geef een bestandsnaam, bijvoorbeeld --output aanmeldingen.xlsx",
            en: "`--output -` writes CSV only (an XLSX file is binary): give a file name, e.g. --output aanmeldingen.xlsx",
        }
        ATTENDANCE_NEEDS_FILE {
            nl: "een presentielijst is een XLSX-bestand (binair): geef een bestandsnaam, bijvoorbeeld --output presentielijst.xlsx",
            en: "an attendance list is an XLSX file (binary): give a file name, e.g. --output presentielijst.xlsx",
        }
        STANDARD_OUTPUT { nl: "de standaarduitvoer", en: "standard output" }
        EXPORT_WRITTEN {
            nl: "{count} aanmelding(en) geschreven naar {place}; dit bestand bevat persoonsgegevens: bewaar het veilig en verwijder het na de bijeenkomst (AVG)",
            en: "wrote {count} registration(s) to {place}; it holds personal data: keep it safe and delete it after the meeting (AVG)",
        }
        ATTENDANCE_WRITTEN {
            nl: "presentielijst van {meeting} ({count} bevestigd) geschreven naar {place}; dit bestand bevat persoonsgegevens: bewaar het veilig en verwijder het na de bijeenkomst (AVG)",
            en: "wrote the attendance list of {meeting} ({count} confirmed) to {place}; it holds personal data: keep it safe and delete it after the meeting (AVG)",
        }
        XLSX_FAILED {
            nl: "het XLSX-bestand kon niet worden gemaakt: {err}",
            en: "the XLSX file could not be made: {err}",
        }
        TOO_MANY_ROWS { nl: "te veel rijen voor één werkblad", en: "too many rows for one sheet" }
        CANNOT_WRITE_STDOUT {
            nl: "kan niet naar de standaarduitvoer schrijven: {err}",
            en: "cannot write to standard output: {err}",
        }
        NOT_A_FILE_NAME { nl: "{path} is geen bestandsnaam", en: "{path} is not a file name" }
        FILE_PICK_NAME {
            nl: "kan geen tijdelijke naam kiezen naast {path}: {err}",
            en: "cannot pick a temporary name beside {path}: {err}",
        }
        FILE_CREATE {
            nl: "kan geen tijdelijk bestand maken naast {path}: {err}",
            en: "cannot create a temporary file beside {path}: {err}",
        }
        FILE_WRITE { nl: "kan {path} niet schrijven: {err}", en: "cannot write {path}: {err}" }
        FILE_MOVE {
            nl: "kan het klaar bestand niet verplaatsen naar {path}: {err}",
            en: "cannot move the finished file to {path}: {err}",
        }

        // sync-meetings
        SYNC_CANNOT_READ {
            nl: "kan {path} niet lezen: {err} (bouw eerst de site: `cargo site build` schrijft public/meetings.json)",
            en: "cannot read {path}: {err} (build the site first: `cargo site build` writes public/meetings.json)",
        }
        SYNC_REFUSED_CAPACITY {
            nl: "geweigerd  {meeting}: {capacity} plekken is minder dan de {confirmed} bevestigde aanmeldingen; maak het minstens {confirmed} of meld eerst mensen af",
            en: "refused   {meeting}: capacity {capacity} is below the {confirmed} confirmed registrations; raise it to at least {confirmed} or cancel registrations first",
        }
        SYNC_REFUSED_RACE {
            nl: "geweigerd  {meeting}: {capacity} plekken is minder dan de {confirmed} bevestigde aanmeldingen",
            en: "refused   {meeting}: capacity {capacity} is below the {confirmed} confirmed registrations",
        }
        SYNC_UNCHANGED { nl: "ongewijzigd {meeting}", en: "unchanged {meeting}" }
        SYNC_UPDATE { nl: "bijwerken  {meeting}: {changes}", en: "update {meeting}: {changes}" }
        SYNC_WOULD_UPDATE { nl: "zou bijwerken {meeting}: {changes}", en: "would update {meeting}: {changes}" }
        SYNC_CREATE {
            nl: "nieuw      {meeting}: {date}, {city}, {capacity} plekken",
            en: "create {meeting}: {date}, {city}, capacity {capacity}",
        }
        SYNC_WOULD_CREATE {
            nl: "zou maken  {meeting}: {date}, {city}, {capacity} plekken",
            en: "would create {meeting}: {date}, {city}, capacity {capacity}",
        }
        SYNC_KEPT {
            nl: "bewaard    {meeting}: niet in {file} (blijft staan; `--prune` verwijdert het als er geen aanmeldingen zijn)",
            en: "kept      {meeting}: not in {file} (left as it is; `--prune` removes it when it has no registrations)",
        }
        SYNC_PRUNE_REFUSED {
            nl: "geweigerd  {meeting}: niet in {file}, maar er zijn aanmeldingen, dus het blijft: een id ligt vast zodra mensen zich hebben aangemeld (purge-expired verwijdert ze na de bewaartermijn; voer dan opnieuw --prune uit)",
            en: "refused   {meeting}: not in {file} but it has registrations, so it stays: an id is permanent once people have registered (purge-expired removes them after the retention date; prune again then)",
        }
        SYNC_PRUNE { nl: "verwijderd {meeting}: niet in {file}, geen aanmeldingen", en: "prune {meeting}: not in {file}, no registrations" }
        SYNC_WOULD_PRUNE {
            nl: "zou verwijderen {meeting}: niet in {file}, geen aanmeldingen",
            en: "would prune {meeting}: not in {file}, no registrations",
        }
        SYNC_TOTALS {
            nl: "{created} nieuw, {updated} bijgewerkt, {unchanged} ongewijzigd, {refused} geweigerd",
            en: "{created} created, {updated} updated, {unchanged} unchanged, {refused} refused",
        }
        DRY_RUN_NOTE { nl: " (proefrun: niets geschreven)", en: " (dry run: nothing written)" }
        SYNC_KEPT_WITH_REGISTRATIONS {
            nl: "{count} bijeenkomst(en) die niet in het bestand staan, zijn bewaard omdat er aanmeldingen zijn: {meetings}",
            en: "{count} meeting(s) not in the file were kept because they have registrations: {meetings}",
        }
        SYNC_KEPT_CAPACITY {
            nl: "{count} bijeenkomst(en) hielden hun aantal plekken, omdat het anders onder het aantal bevestigde aanmeldingen komt: {meetings}",
            en: "{count} meeting(s) kept their capacity because it would drop below the confirmed count: {meetings}",
        }
        SYNC_PROMOTED {
            nl: "van wachtlijst {meeting}: {count} van de wachtlijst naar nieuwe plekken",
            en: "promoted  {meeting}: {count} from the waiting list into new seats",
        }
        SYNC_RETENTION {
            nl: "bewaartermijn {meeting}: {count} aanmelding(en) blijven nu tot {until}",
            en: "retention {meeting}: {count} registration(s) now kept until {until}",
        }
        CHANGE { nl: "{field} {old} -> {new}", en: "{field} {old} -> {new}" }
        FIELD_TITLE { nl: "titel", en: "title" }
        FIELD_PATH { nl: "pad", en: "path" }
        FIELD_DATE { nl: "datum", en: "date" }
        FIELD_TIME { nl: "tijd", en: "time" }
        FIELD_VENUE { nl: "locatie", en: "venue" }
        FIELD_ADDRESS { nl: "adres", en: "address" }
        FIELD_POSTCODE { nl: "postcode", en: "postcode" }
        FIELD_CITY { nl: "plaats", en: "city" }
        FIELD_CALENDAR { nl: "agenda", en: "calendar" }
        FIELD_CAPACITY { nl: "plekken", en: "capacity" }
        FIELD_WAITLIST { nl: "wachtlijst", en: "waiting list" }
        FIELD_OPENS { nl: "open vanaf", en: "opens" }
        FIELD_CLOSES { nl: "sluit", en: "closes" }
        FIELD_ENDS { nl: "eindigt", en: "ends" }
        FIELD_RETENTION { nl: "bewaren tot", en: "retention until" }
        FIELD_DATE_LABEL { nl: "datumtekst", en: "date label" }

        // erase
        ERASE_WOULD_REMOVE_REQUESTS {
            nl: "zou {count} linkaanvraag/-aanvragen van {email} verwijderen",
            en: "would remove {count} link request(s) of {email}",
        }
        ERASE_REMOVED_REQUESTS {
            nl: "{count} linkaanvraag/-aanvragen van {email} verwijderd",
            en: "removed {count} link request(s) of {email}",
        }
        ERASE_NOTHING {
            nl: "geen aanmeldingen van {email}: er is niets te wissen",
            en: "no registrations of {email}: nothing to erase",
        }
        ERASE_WOULD_REMOVE {
            nl: "zou {email} verwijderen uit {meeting} ({status}, aangemeld {registered})",
            en: "would remove {email} from {meeting} ({status}, registered {registered})",
        }
        ERASE_DRY_RUN_TOTAL {
            nl: "{count} aanmelding(en) gevonden (proefrun: niets verwijderd)",
            en: "{count} registration(s) found (dry run: nothing removed)",
        }
        ERASING { nl: "wissen", en: "erasing" }
        ERASE_PROMOTED {
            nl: "; de vrije plek ging naar {name} (de eerste op de wachtlijst)",
            en: "; the freed seat went to {name} (first on the waiting list)",
        }
        ERASE_REMOVED {
            nl: "{email} verwijderd uit {meeting} ({status}){promoted}",
            en: "removed {email} from {meeting} ({status}){promoted}",
        }
        ERASE_TOTAL {
            nl: "{count} aanmelding(en) van {email} gewist, met hun afmeldlinks",
            en: "{count} registration(s) of {email} erased, with their cancellation links",
        }

        // purge-expired
        PURGE_DRY_RUN {
            nl: "{registrations} aanmelding(en) en {tokens} link(s) zijn over hun bewaartermijn (proefrun: niets verwijderd)",
            en: "{registrations} registration(s) and {tokens} token(s) are past their retention period (dry run: nothing removed)",
        }
        PURGING { nl: "opruimen", en: "purging" }
        PURGE_DONE {
            nl: "{registrations} aanmelding(en) verwijderd met hun afmeldlinks; {tokens} andere verlopen link(s) verwijderd",
            en: "{registrations} registration(s) removed with their cancellation links; {tokens} other expired token(s) removed",
        }

        // rekey-links
        NO_RANDOMNESS { nl: "geen toeval beschikbaar voor {what}: {err}", en: "no randomness for {what}: {err}" }
        REKEY_DONE {
            nl: "{count} aanmelding(en) kregen een link van sleutelversie {version}; {already} hadden er al een",
            en: "{count} registration(s) got a link of key version {version}; {already} already had one",
        }
        REKEY_SKIPPED {
            nl: "; {count} veranderden intussen (voer het opnieuw uit)",
            en: "; {count} changed meanwhile (run again)",
        }
        REKEY_REVOKED {
            nl: "{count} eerdere link(s) ingetrokken: ze openen geen aanmelding meer (\"Link kwijt?\" stuurt de nieuwe)",
            en: "{count} earlier link(s) revoked: they no longer open a registration (\"Link kwijt?\" sends the new one)",
        }
        REKEY_OLD_KEEP_WORKING {
            nl: "eerdere links blijven werken tot ze verlopen; `--revoke-old` stopt ze",
            en: "earlier links keep working until they expire; `--revoke-old` ends them",
        }
        REKEY_NEEDS_KEY {
            nl: "rekey-links heeft de linksleutel nodig: --link-key-arn (LinkKeySecretArn van de stack) of --link-key-file",
            en: "rekey-links needs the link key: --link-key-arn (the stack's LinkKeySecretArn) or --link-key-file",
        }

        // send-link
        SEND_LINK_NONE {
            nl: "{email} heeft geen lopende aanmelding: er gaat geen e-mail weg",
            en: "{email} has no live registration: no email is sent",
        }
        SEND_LINK_WRITTEN {
            nl: "linkaanvraag geschreven: binnen een minuut mailt de mailer {email} de link(s) van {count} aanmelding(en)",
            en: "link request written: the mailer emails {email} the link(s) of {count} registration(s) within a minute",
        }

        // mail-failures
        MAIL_FAILURES_NONE {
            nl: "Er is de afgelopen 30 dagen geen e-mail mislukt.",
            en: "No email failed in the last 30 days.",
        }
        MAIL_FAILURES_TOTAL {
            nl: "{count} e-mail(s) niet verstuurd. Vanaf hier wordt niets opnieuw geprobeerd: de persoon kan op de site opnieuw om de link vragen.",
            en: "{count} email(s) not sent. Nothing is retried from here: the person can ask for their link again on the site.",
        }

        // errors shared by the commands
        STORE_FAILED {
            nl: "de opslag gaf een fout: {err}; na dit punt is niets veranderd",
            en: "the store failed: {err}; nothing after this point was changed",
        }
        UNKNOWN_MEETING {
            nl: "er is geen bijeenkomst `{meeting}` in tabel {table}; bekende bijeenkomsten: {known}",
            en: "there is no meeting `{meeting}` in table {table}; known meetings: {known}",
        }
        NO_MEETINGS_YET {
            nl: "geen; voer eerst `opp-admin sync-meetings public/meetings.json` uit",
            en: "none; run `opp-admin sync-meetings public/meetings.json` first",
        }
        UNREADABLE { nl: "(kon niet worden gelezen)", en: "(could not be read)" }
        NOT_AN_EMAIL {
            nl: "`{email}` is geen e-mailadres (verwacht zoiets als naam@school.nl)",
            en: "`{email}` is not an email address (expected something like naam@school.nl)",
        }
        FILE_PROBLEM { nl: "{path}: {err}", en: "{path}: {err}" }
        NO_REGION {
            nl: "er is geen AWS-regio ingesteld: geef --region (bijvoorbeeld eu-central-1, waar de stack draait) of zet AWS_REGION; voor de lokale opslag van `cargo dev`: geef --endpoint-url http://127.0.0.1:8000 (of gebruik `cargo admin`, zoals `cargo dev` het laat zien)",
            en: "no AWS region is configured: pass --region (e.g. eu-central-1, where the stack runs) or set AWS_REGION; for the local store of `cargo dev`, pass --endpoint-url http://127.0.0.1:8000 (or run `cargo admin`, as `cargo dev` prints it)",
        }
        NO_CREDENTIALS {
            nl: "geen AWS-inloggegevens gevonden: zet AWS_PROFILE (na `aws sso login`) of AWS_ACCESS_KEY_ID en AWS_SECRET_ACCESS_KEY; voor een lokale opslag: geef --endpoint-url http://127.0.0.1:8000",
            en: "no AWS credentials found: set AWS_PROFILE (after `aws sso login`) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; for a local store pass --endpoint-url http://127.0.0.1:8000",
        }
        TABLE_MISSING {
            nl: "tabel `{table}` bestaat niet bij {place}: controleer --table (de uitvoer `TableName` van de stack) en de regio",
            en: "table `{table}` does not exist at {place}: check --table (the stack's `TableName` output) and the region",
        }
        TABLE_MISSING_LOCAL {
            nl: "; `cargo dev` maakt de lokale tabel als het start",
            en: "; `cargo dev` creates the local table when it starts",
        }
        REFUSED_REQUEST {
            nl: "{place} weigerde het verzoek ({code}: {message}): controleer of je inloggegevens tabel `{table}` mogen lezen",
            en: "{place} refused the request ({code}: {message}): check that your credentials may read table `{table}`",
        }
        LOCAL_UNREACHABLE {
            nl: "kan de opslag op {endpoint} niet bereiken: draait die? (`cargo dev` start er een op 127.0.0.1:8000)",
            en: "cannot reach the store at {endpoint}: is it running? (`cargo dev` serves one on 127.0.0.1:8000)",
        }
        AWS_UNREACHABLE {
            nl: "kan DynamoDB niet bereiken: controleer je netwerkverbinding en de regio",
            en: "cannot reach DynamoDB: check your network connection and the region",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_message() -> impl Iterator<Item = (&'static str, Msg)> {
        status::ALL.iter().chain(admin::ALL).copied()
    }

    #[test]
    fn both_languages_have_the_same_placeholders_and_no_empty_text() {
        for (name, msg) in every_message() {
            assert!(
                !msg.nl.trim().is_empty() && !msg.en.trim().is_empty(),
                "{name} is empty in one language"
            );
            let mut nl = Msg::placeholders(msg.nl);
            let mut en = Msg::placeholders(msg.en);
            nl.sort_unstable();
            nl.dedup();
            en.sort_unstable();
            en.dedup();
            assert_eq!(nl, en, "{name}: the placeholders differ between nl and en");
        }
    }

    #[test]
    fn fill_replaces_named_placeholders_and_keeps_unknown_ones() {
        let msg = Msg {
            nl: "{count} van {meeting} {onbekend} {",
            en: "{meeting}: {count}",
        };
        let args: [(&str, &dyn fmt::Display); 2] = [("count", &3), ("meeting", &"zwolle")];
        assert_eq!(msg.fill_in(Lang::Nl, &args), "3 van zwolle {onbekend} {");
        assert_eq!(msg.fill_in(Lang::En, &args), "zwolle: 3");
    }

    #[test]
    fn opp_lang_picks_english_only_when_asked() {
        assert_eq!(Lang::parse(None), Lang::Nl);
        assert_eq!(Lang::parse(Some("")), Lang::Nl);
        assert_eq!(Lang::parse(Some("nl")), Lang::Nl);
        assert_eq!(Lang::parse(Some("en")), Lang::En);
        assert_eq!(Lang::parse(Some("en_GB.UTF-8")), Lang::En);
        assert_eq!(Lang::parse(Some(" EN ")), Lang::En);
    }
}
