//! Arbitrary bytes as ticket and engineer JSON documents: parsing and validation must return, never
//! panic, and whatever parses must read back the same after being written out.
#![no_main]

use dispatchkit::model::{
    engineers_from_json, tickets_from_json, validate_engineers, validate_tickets,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let engineers = engineers_from_json(text).ok();
    if let Some(engineers) = &engineers {
        let _ = validate_engineers(engineers);
        let written = serde_json::to_string(engineers).expect("engineers serialize");
        let again = engineers_from_json(&written)
            .unwrap_or_else(|e| panic!("written engineers do not read back: {e}\n{written}"));
        assert!(
            again == *engineers,
            "engineers change on a round trip:\n{written}"
        );
    }
    if let Ok(tickets) = tickets_from_json(text) {
        // References are checked against the engineers parsed from the same text (usually none),
        // so both the known and the unknown branch are reached.
        let known: Vec<&str> = engineers.iter().flatten().map(|e| e.id.as_str()).collect();
        let _ = validate_tickets(&tickets, |id| known.contains(&id.as_str()));
        let written = serde_json::to_string(&tickets).expect("tickets serialize");
        let again = tickets_from_json(&written)
            .unwrap_or_else(|e| panic!("written tickets do not read back: {e}\n{written}"));
        assert!(
            again == tickets,
            "tickets change on a round trip:\n{written}"
        );
    }
});
