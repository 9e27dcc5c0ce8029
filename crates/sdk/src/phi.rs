//! The PHI detector for JavaScript.

use wasm_bindgen::prelude::*;

use crate::js::set;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** An identifier found in free text. `start`/`end` are UTF-16 indexes: `text.slice(start, end)`. */
export interface PhiFinding {
  /** e.g. "ssn", "mrn", "phone", "email", "date_of_birth", "street_address". */
  kind: string;
  /** A short description for the UI, e.g. "Social Security number". */
  description: string;
  start: number;
  end: number;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `PhiFinding[]` in TypeScript.
    #[wasm_bindgen(typescript_type = "PhiFinding[]")]
    pub type PhiFindings;
}

/// Finds identifiers (SSNs, medical record numbers, phone numbers, emails, dates of birth,
/// street addresses...) that should not be in a free-text booking note, so the UI can warn
/// before the note is sealed. Offsets are JavaScript string (UTF-16) indexes.
#[wasm_bindgen(js_name = scanPhi)]
pub fn scan_phi(#[wasm_bindgen(unchecked_param_type = "string")] text: JsValue) -> Result<PhiFindings, JsValue> {
    let text = crate::js::string(&text, "text")?;
    let text = text.as_str();
    let findings = bizing_core::phi::scan(text);
    let out = js_sys::Array::new();
    for f in findings {
        let item = js_sys::Object::new();
        set(&item, "kind", f.kind.as_str());
        set(&item, "description", f.kind.description());
        set(&item, "start", utf16_index(text, f.start));
        set(&item, "end", utf16_index(text, f.end));
        out.push(&item);
    }
    Ok(out.unchecked_into())
}

/// The UTF-16 index of byte offset `byte` in `text` (offsets from the scanner are always on
/// char boundaries; anything past the end counts the whole text).
fn utf16_index(text: &str, byte: usize) -> u32 {
    let prefix = text.get(..byte).unwrap_or(text);
    u32::try_from(prefix.encode_utf16().count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_offsets_count_surrogate_pairs() {
        let text = "🙂 SSN 123-45-6789";
        let byte = text.find('1').unwrap();
        assert_eq!(byte, 9);
        assert_eq!(utf16_index(text, byte), 7);
        assert_eq!(utf16_index(text, 0), 0);
        assert_eq!(utf16_index(text, 1000), 18);
    }
}
