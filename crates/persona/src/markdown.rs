//! Just enough Markdown reading for persona files: headings and sections outside code fences,
//! bullets, bold `**Label:**` bullets, and turning headings into persona names.
//!
//! Does not know about: any persona style or what a section means; the format parsers decide
//! that. This is line-based on purpose: persona files are hand-written lists, not documents that
//! need a full CommonMark parser, and line numbers are what diagnostics need.

/// One line of a file with its 1-based number and whether it sits inside a code fence.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    pub number: usize,
    pub text: &'a str,
    pub in_fence: bool,
}

/// A heading and every line up to the next heading of the same or a higher level.
#[derive(Debug, Clone)]
pub(crate) struct Section<'a> {
    pub level: usize,
    pub title: String,
    pub line: usize,
    pub lines: Vec<Line<'a>>,
}

/// Splits `text` into lines numbered from `first_line`, marking fenced lines. Fence markers
/// themselves count as fenced.
pub(crate) fn lines(text: &str, first_line: usize) -> Vec<Line<'_>> {
    let mut in_fence = false;
    text.lines()
        .enumerate()
        .map(|(index, text)| {
            let is_marker = is_fence_marker(text);
            let line = Line {
                number: first_line + index,
                text,
                in_fence: in_fence || is_marker,
            };
            if is_marker {
                in_fence = !in_fence;
            }
            line
        })
        .collect()
}

fn is_fence_marker(text: &str) -> bool {
    let trimmed = text.trim_start();
    trimmed.starts_with("```") || trimmed.starts_with("~~~")
}

/// `(level, title)` when the line is an ATX heading such as `## Role`.
pub(crate) fn heading(line: &Line<'_>) -> Option<(usize, String)> {
    if line.in_fence {
        return None;
    }
    let level = line.text.chars().take_while(|&c| c == '#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &line.text[level..];
    if !rest.starts_with(' ') && !rest.is_empty() {
        return None;
    }
    let title = rest.trim().trim_end_matches('#').trim();
    Some((level, title.to_owned()))
}

/// The first level-1 heading: `(title, line)`.
pub(crate) fn first_title(lines: &[Line<'_>]) -> Option<(String, usize)> {
    lines.iter().find_map(|line| match heading(line) {
        Some((1, title)) => Some((title, line.number)),
        _ => None,
    })
}

/// Every heading with the lines it owns.
pub(crate) fn sections<'a>(lines: &[Line<'a>]) -> Vec<Section<'a>> {
    let headings: Vec<(usize, usize, String)> = lines
        .iter()
        .enumerate()
        .filter_map(|(index, line)| heading(line).map(|(level, title)| (index, level, title)))
        .collect();
    headings
        .iter()
        .enumerate()
        .map(|(position, (index, level, title))| {
            let end = headings[position + 1..]
                .iter()
                .find(|(_, next_level, _)| next_level <= level)
                .map_or(lines.len(), |(next_index, _, _)| *next_index);
            Section {
                level: *level,
                title: title.clone(),
                line: lines[*index].number,
                lines: lines[index + 1..end].to_vec(),
            }
        })
        .collect()
}

/// The first level-2 section whose title matches one of `titles`, ignoring case.
pub(crate) fn find_section<'s, 'a>(
    sections: &'s [Section<'a>],
    titles: &[&str],
) -> Option<&'s Section<'a>> {
    sections.iter().find(|section| {
        section.level == 2
            && titles
                .iter()
                .any(|title| section.title.eq_ignore_ascii_case(title))
    })
}

/// `(indent, content)` for a `-`, `*` or `1.` list item, with a leading `[ ]`/`[x]` removed.
pub(crate) fn bullet(text: &str) -> Option<(usize, &str)> {
    let indent = text.len() - text.trim_start().len();
    let trimmed = text.trim_start();
    let content = if let Some(rest) = trimmed
        .strip_prefix("- ")
        .or_else(|| trimmed.strip_prefix("* "))
    {
        rest
    } else {
        let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
        let rest = trimmed[digits..].strip_prefix(". ");
        match rest {
            Some(rest) if digits > 0 => rest,
            _ => return None,
        }
    };
    let content = content.trim();
    let content = ["[ ] ", "[x] ", "[X] "]
        .iter()
        .find_map(|checkbox| content.strip_prefix(checkbox))
        .unwrap_or(content);
    Some((indent, content.trim()))
}

/// The list items of a section at its shallowest indentation: `(line, text)`.
pub(crate) fn top_level_items(lines: &[Line<'_>]) -> Vec<(usize, String)> {
    let bullets: Vec<(usize, usize, &str)> = lines
        .iter()
        .filter_map(|line| bullet(line.text).map(|(indent, text)| (line.number, indent, text)))
        .collect();
    let Some(shallowest) = bullets.iter().map(|(_, indent, _)| *indent).min() else {
        return Vec::new();
    };
    bullets
        .into_iter()
        .filter(|(_, indent, _)| *indent == shallowest)
        .map(|(number, _, text)| (number, text.to_owned()))
        .collect()
}

/// `(label, value)` for `**Label:** value` (the colon may sit inside or outside the bold).
pub(crate) fn bold_label(content: &str) -> Option<(String, String)> {
    let rest = content.strip_prefix("**")?;
    let end = rest.find("**")?;
    let label = rest[..end].trim().trim_end_matches(':').trim();
    let value = rest[end + 2..].trim_start_matches(':').trim();
    if label.is_empty() {
        return None;
    }
    Some((label.to_owned(), value.to_owned()))
}

/// The first paragraph of `lines` joined with spaces, and its first line number.
pub(crate) fn first_paragraph(lines: &[Line<'_>]) -> Option<(String, usize)> {
    let mut start = None;
    let mut words: Vec<&str> = Vec::new();
    for line in lines {
        let text = line.text.trim();
        let is_prose = !line.in_fence
            && !text.is_empty()
            && !text.starts_with("<!--")
            && heading(line).is_none()
            && bullet(line.text).is_none();
        if is_prose {
            start.get_or_insert(line.number);
            words.push(text);
        } else if start.is_some() {
            break;
        }
    }
    start.map(|line| (words.join(" "), line))
}

/// Removes Markdown backticks and bold markers from a list item.
pub(crate) fn plain(text: &str) -> String {
    text.replace('`', "").replace("**", "").trim().to_owned()
}

/// The first `` `code` `` span of `text`, if any.
pub(crate) fn first_code_span(text: &str) -> Option<&str> {
    let start = text.find('`')? + 1;
    let length = text[start..].find('`')?;
    Some(&text[start..start + length])
}

/// Lower-case words joined by `-`: `DevOps Engineer` → `devops-engineer`.
pub(crate) fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for character in text.chars() {
        if character.is_alphanumeric() {
            slug.extend(character.to_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

/// The persona name a heading gives: `Role: QA Engineer` → `qa-engineer`, `Persona: ops-devops`
/// → `ops-devops`, `DevOps Engineer Role` → `devops-engineer`.
pub(crate) fn name_from_title(title: &str) -> String {
    slugify(&role_from_title(title))
}

/// The role a heading names, before slugifying: `DevOps Engineer Role` → `DevOps Engineer`.
pub(crate) fn role_from_title(title: &str) -> String {
    let title = title.trim();
    for label in ["Role:", "Persona:", "Agent:"] {
        if let Some(rest) = strip_prefix_ignore_case(title, label) {
            return rest.trim().to_owned();
        }
    }
    let words: Vec<&str> = title.split_whitespace().collect();
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() && last.eq_ignore_ascii_case("role") => {
            rest.join(" ")
        }
        _ => title.to_owned(),
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_headings() {
        assert_eq!(name_from_title("Role: QA Engineer"), "qa-engineer");
        assert_eq!(name_from_title("Persona: ops-devops"), "ops-devops");
        assert_eq!(name_from_title("DevOps Engineer Role"), "devops-engineer");
        assert_eq!(name_from_title("Role: DevOps"), "devops");
        assert_eq!(name_from_title("Role"), "role");
    }

    #[test]
    fn headings_inside_fences_are_not_sections() {
        let text = "# Top\n## A\none\n```\n# not a heading\n```\n## B\ntwo\n";
        let lines = lines(text, 1);
        let sections = sections(&lines);
        let titles: Vec<&str> = sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, vec!["Top", "A", "B"]);
        assert_eq!(sections[1].line, 2);
        assert_eq!(sections[1].lines.len(), 4);
        assert_eq!(sections[0].lines.len(), 7);
    }

    #[test]
    fn bullets_and_labels() {
        assert_eq!(bullet("  - [ ] All tests"), Some((2, "All tests")));
        assert_eq!(bullet("3. Step"), Some((0, "Step")));
        assert_eq!(bullet("plain"), None);
        assert_eq!(
            bold_label("**Prefix:** [DEVOPS]"),
            Some(("Prefix".to_owned(), "[DEVOPS]".to_owned()))
        );
        assert_eq!(
            bold_label("**Stage(s)**: Deployment"),
            Some(("Stage(s)".to_owned(), "Deployment".to_owned()))
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Release Manager"), "release-manager");
        assert_eq!(slugify("  QA / Security!  "), "qa-security");
    }
}
