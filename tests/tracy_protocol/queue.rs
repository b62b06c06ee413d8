//! The size of every Tracy event, read from the client's own headers.
//!
//! An event on the wire is one `QueueType` byte and a fixed payload; the payload's
//! size is the `QueueDataSize` entry for that type (string events then carry a
//! length and bytes). Both come from `tracy/common/TracyQueue.hpp` of the vendored
//! client, so the table here is computed from that file: the enumerators of
//! `QueueType`, the packed (`#pragma pack(1)`) sizes of the `Queue*` structs, and
//! the `sizeof( A ) + sizeof( B )` sums of `QueueDataSize`. A client update that
//! changes the layout changes the table with it.

use std::collections::HashMap;
use std::path::Path;

/// The event types and their sizes, indexed by the type byte.
#[derive(Debug)]
pub struct QueueLayout {
    names: Vec<String>,
    sizes: Vec<usize>,
    /// `sizeof( QueueItem )`, which the header asserts is 32.
    pub item_size: usize,
}

impl QueueLayout {
    /// Reads `TracyQueue.hpp` and `TracyTaggedUserlandAddress.hpp` from `common_dir`
    /// (`<tracy-client-sys>/tracy/common`).
    pub fn from_headers(common_dir: &Path) -> Result<QueueLayout, String> {
        let read = |name: &str| {
            std::fs::read_to_string(common_dir.join(name))
                .map_err(|error| format!("reading {name} in {}: {error}", common_dir.display()))
        };
        QueueLayout::parse(
            &read("TracyQueue.hpp")?,
            &read("TracyTaggedUserlandAddress.hpp")?,
        )
    }

    /// Computes the layout from the two headers' text.
    pub fn parse(queue_hpp: &str, tagged_hpp: &str) -> Result<QueueLayout, String> {
        let queue = strip_comments(queue_hpp);
        let tagged = strip_comments(tagged_hpp);

        let mut sizes: HashMap<String, usize> = [
            ("char", 1),
            ("int8_t", 1),
            ("uint8_t", 1),
            ("int16_t", 2),
            ("uint16_t", 2),
            ("int32_t", 4),
            ("uint32_t", 4),
            ("float", 4),
            ("int64_t", 8),
            ("uint64_t", 8),
            ("double", 8),
        ]
        .into_iter()
        .map(|(name, size)| (name.to_owned(), size))
        .collect();

        // Enums with an underlying type (`enum class QueueType : uint8_t`).
        for (name, underlying) in enums_with_underlying_type(&queue) {
            let size = *sizes
                .get(&underlying)
                .ok_or(format!("enum {name}: unknown underlying type {underlying}"))?;
            sizes.insert(name, size);
        }

        // The tagged address is a class around one integer.
        let tagged_body = block_after(&tagged, "class TaggedUserlandAddress")
            .ok_or("TaggedUserlandAddress not found")?;
        let declarations = without_nested_blocks(tagged_body)
            .replace("public:", "")
            .replace("private:", "")
            .replace("protected:", "");
        let mut tagged_size = 0;
        for statement in declarations.split(';').map(str::trim) {
            // Data members only: no functions, no static constants.
            if !statement.is_empty() && !statement.contains('(') && !statement.contains("static") {
                tagged_size += field_size(statement, &sizes)?;
            }
        }
        sizes.insert("TaggedUserlandAddress".into(), tagged_size);

        // Every struct, in order (bases come before the structs derived from them).
        let mut rest = queue.as_str();
        while let Some(at) = find_keyword(rest, "struct") {
            rest = &rest[at + "struct".len()..];
            let Some(open) = rest.find(['{', ';']) else {
                break;
            };
            if rest.as_bytes()[open] == b';' {
                continue; // a declaration
            }
            let head = rest[..open].trim();
            let (name, base) = match head.split_once(':') {
                Some((name, base)) => (
                    name.trim(),
                    Some(base.trim().trim_start_matches("public").trim()),
                ),
                None => (head, None),
            };
            let close =
                matching_brace(rest, open).ok_or(format!("struct {name}: no closing brace"))?;
            let body = &rest[open + 1..close];
            let mut size = match base {
                Some(base) => *sizes
                    .get(base)
                    .ok_or(format!("struct {name}: unknown base {base}"))?,
                None => 0,
            };
            size += body_size(body, &sizes).map_err(|error| format!("struct {name}: {error}"))?;
            sizes.insert(name.to_owned(), size);
            rest = &rest[close + 1..];
        }

        // The enumerators of QueueType, up to NUM_TYPES.
        let enum_body = block_after(&queue, "enum class QueueType").ok_or("QueueType not found")?;
        let names: Vec<String> = enum_body
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .take_while(|&name| name != "NUM_TYPES")
            .map(str::to_owned)
            .collect();

        // QueueDataSize: a sum of sizeof() per entry.
        let table_start = queue
            .find("QueueDataSize[]")
            .ok_or("QueueDataSize not found")?;
        let table = block_after(&queue[table_start..], "=").ok_or("QueueDataSize: no body")?;
        let mut data_sizes = Vec::new();
        for entry in table
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
        {
            let mut total = 0;
            for term in entry.split('+') {
                let inner = term
                    .trim()
                    .strip_prefix("sizeof")
                    .map(|text| {
                        text.trim()
                            .trim_start_matches('(')
                            .trim_end_matches(')')
                            .trim()
                    })
                    .ok_or(format!(
                        "QueueDataSize entry `{entry}` is not a sum of sizeof()"
                    ))?;
                total += *sizes
                    .get(inner)
                    .ok_or(format!("QueueDataSize: unknown struct {inner}"))?;
            }
            data_sizes.push(total);
        }
        if data_sizes.len() != names.len() {
            return Err(format!(
                "QueueDataSize has {} entries for {} event types",
                data_sizes.len(),
                names.len()
            ));
        }
        let item_size = *sizes.get("QueueItem").ok_or("QueueItem not found")?;
        Ok(QueueLayout {
            names,
            sizes: data_sizes,
            item_size,
        })
    }

    /// The type byte of the event called `name`.
    ///
    /// # Panics
    /// If the client has no such event type.
    pub fn index(&self, name: &str) -> u8 {
        let index = self
            .names
            .iter()
            .position(|known| known == name)
            .unwrap_or_else(|| panic!("TracyQueue.hpp has no event type {name}"));
        u8::try_from(index).expect("QueueType is a u8")
    }

    /// The name of event type `index`, if it exists.
    pub fn name(&self, index: u8) -> Option<&str> {
        self.names.get(usize::from(index)).map(String::as_str)
    }

    /// The size of event type `index` on the wire, type byte included, before any
    /// string it carries.
    pub fn size(&self, index: u8) -> Option<usize> {
        self.sizes.get(usize::from(index)).copied()
    }

    /// The size of the event called `name`.
    pub fn size_of(&self, name: &str) -> usize {
        self.sizes[usize::from(self.index(name))]
    }

    /// How many event types there are.
    pub fn len(&self) -> usize {
        self.names.len()
    }
}

/// Removes `//` and `/* */` comments and preprocessor lines.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |end| &after[end..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |end| &after[end + 2..]);
        } else {
            let next = rest.chars().next().expect("not empty");
            out.push(next);
            rest = &rest[next.len_utf8()..];
        }
    }
    out.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Position of `keyword` as a whole word.
fn find_keyword(text: &str, keyword: &str) -> Option<usize> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(found) = text[from..].find(keyword) {
        let at = from + found;
        let before_ok = text[..at].chars().next_back().is_none_or(|c| !is_word(c));
        let after_ok = text[at + keyword.len()..]
            .chars()
            .next()
            .is_none_or(|c| !is_word(c));
        if before_ok && after_ok {
            return Some(at);
        }
        from = at + keyword.len();
    }
    None
}

/// Index of the `}` matching the `{` at `open`.
fn matching_brace(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (index, byte) in text.bytes().enumerate().skip(open) {
        match byte {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => {}
        }
    }
    None
}

/// The text between the braces that follow `marker`.
fn block_after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let at = text.find(marker)?;
    let open = at + text[at..].find('{')?;
    let close = matching_brace(text, open)?;
    Some(&text[open + 1..close])
}

/// `body` with every `{ ... }` inside it (function bodies) replaced by `;`.
fn without_nested_blocks(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut depth = 0usize;
    for c in body.chars() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    out.push(';');
                }
            }
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// `(name, underlying type)` of every enum declared with one.
fn enums_with_underlying_type(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = find_keyword(rest, "enum") {
        rest = &rest[at + "enum".len()..];
        let Some(open) = rest.find(['{', ';']) else {
            break;
        };
        let head = rest[..open].trim().trim_start_matches("class").trim();
        if let Some((name, underlying)) = head.split_once(':') {
            found.push((name.trim().to_owned(), underlying.trim().to_owned()));
        }
    }
    found
}

/// Packed size of a struct body: data members, and anonymous unions (their largest
/// member).
fn body_size(body: &str, sizes: &HashMap<String, usize>) -> Result<usize, String> {
    let mut total = 0;
    let mut rest = body.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("union") {
            let open = after.find('{').ok_or("union without a body")?;
            let close = matching_brace(after, open).ok_or("union without a closing brace")?;
            let mut largest = 0;
            for member in after[open + 1..close]
                .split(';')
                .map(str::trim)
                .filter(|m| !m.is_empty())
            {
                largest = largest.max(field_size(member, sizes)?);
            }
            total += largest;
            rest = after[close + 1..]
                .trim_start()
                .trim_start_matches(';')
                .trim_start();
        } else {
            let end = rest
                .find(';')
                .ok_or(format!("member `{rest}` has no `;`"))?;
            total += field_size(&rest[..end], sizes)?;
            rest = rest[end + 1..].trim_start();
        }
    }
    Ok(total)
}

/// Size of one data member: `type name;` or `type name[N];`.
fn field_size(member: &str, sizes: &HashMap<String, usize>) -> Result<usize, String> {
    let member = member.trim();
    let (type_name, declarator) = member
        .rsplit_once(char::is_whitespace)
        .ok_or(format!("member `{member}` is not `type name`"))?;
    let type_name = type_name.trim();
    let element = *sizes
        .get(type_name)
        .ok_or(format!("member `{member}`: unknown type {type_name}"))?;
    let count = match declarator.split_once('[') {
        Some((_, dimension)) => dimension
            .trim_end_matches(']')
            .trim()
            .parse::<usize>()
            .map_err(|_| format!("member `{member}`: array size is not a number"))?,
        None => 1,
    };
    Ok(element * count)
}
