//! CSV as RFC 4180 writes it (fields separated by commas, records ended by CRLF, a field with a
//! comma, a double quote, CR or LF enclosed in double quotes with its quotes doubled), plus the
//! OWASP rule against formula injection: a field that starts with `=`, `+`, `-`, `@`, TAB or CR
//! gets a leading `'`, so that a spreadsheet shows it as text instead of running it.

/// The characters a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// True when `field` would start a formula in a spreadsheet.
pub fn starts_formula(field: &str) -> bool {
    field.starts_with(FORMULA_STARTS)
}

/// Appends one field, guarded and quoted as needed.
pub fn write_field(out: &mut Vec<u8>, field: &str) {
    let guard = starts_formula(field);
    let quote = field.contains([',', '"', '\r', '\n']);
    if quote {
        out.push(b'"');
    }
    if guard {
        out.push(b'\'');
    }
    if quote {
        for (i, part) in field.split('"').enumerate() {
            if i > 0 {
                out.extend_from_slice(b"\"\"");
            }
            out.extend_from_slice(part.as_bytes());
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(field.as_bytes());
    }
}

/// Appends one record (its fields and the CRLF that ends it).
pub fn write_record<'a>(out: &mut Vec<u8>, fields: impl IntoIterator<Item = &'a str>) {
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_field(out, f);
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts how each field is written: (as given, as written).
    fn assert_fields(cases: &[(&str, &str)]) {
        for &(given, written) in cases {
            let mut out = Vec::new();
            write_field(&mut out, given);
            assert_eq!(String::from_utf8(out).unwrap(), written, "{given:?}");
        }
    }

    #[test]
    fn plain_fields_are_written_as_they_are() {
        assert_fields(&[
            ("Ann Lee", "Ann Lee"),
            ("", ""),
            ("김민준", "김민준"),
            ("2026-12-05T05:03:17Z", "2026-12-05T05:03:17Z"),
            ("a'b", "a'b"),
        ]);
    }

    #[test]
    fn a_comma_is_quoted() {
        assert_fields(&[("Lee, Ann", "\"Lee, Ann\"")]);
    }

    #[test]
    fn a_double_quote_is_doubled_inside_quotes() {
        assert_fields(&[
            ("Ann \"the\" Lee", "\"Ann \"\"the\"\" Lee\""),
            ("\"", "\"\"\"\""),
        ]);
    }

    #[test]
    fn line_breaks_are_quoted() {
        assert_fields(&[
            ("one\ntwo", "\"one\ntwo\""),
            ("one\r\ntwo", "\"one\r\ntwo\""),
        ]);
    }

    #[test]
    fn each_formula_start_gets_a_leading_quote() {
        assert_fields(&[
            ("=1+2", "'=1+2"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            // CR also needs quotes: the guard goes inside them.
            ("\rx", "\"'\rx\""),
        ]);
    }

    #[test]
    fn a_formula_start_elsewhere_is_left_alone() {
        assert_fields(&[
            ("a=1", "a=1"),
            (" =1", " =1"),
            ("ann+tag@example.com", "ann+tag@example.com"),
        ]);
    }

    #[test]
    fn a_guarded_field_with_quotes_and_commas_is_both_guarded_and_quoted() {
        assert_fields(&[(
            "=HYPERLINK(\"http://x\",\"y\")",
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
        )]);
    }

    #[test]
    fn records_end_with_crlf() {
        let mut out = Vec::new();
        write_record(&mut out, ["id", "name"]);
        write_record(&mut out, ["1", "Lee, Ann"]);
        write_record(&mut out, ["2", ""]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "id,name\r\n1,\"Lee, Ann\"\r\n2,\r\n"
        );
    }
}
